import torch
# transformers/models/llama/convert_llama_weights_to_hf.py
def permute(w, n_heads, dim1, dim2):
    return w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)
w = torch.arange(8 * 3, dtype=torch.float32).view(8, 3)
print(permute(w, 2, 8, 3).flatten().int().tolist())
print(permute(torch.arange(4.).view(4,1), 1, 4, 1).flatten().int().tolist())
