# Re-implements the file layout of karpathy/llama2.c export.py (legacy_export = v0, version1_export = v1) on a
# tiny torch model whose weights follow a formula, and prints the sha256 of each file. The golden hashes in
# src/formats/llama2c.test.ts come from this script:  /usr/bin/python3 packages/model/test/reference/llama2c_ref.py
import hashlib, io, struct, types
import torch

def serialize_fp32(file, tensor):
    d = tensor.detach().cpu().view(-1).to(torch.float32).numpy()
    file.write(struct.pack(f'{len(d)}f', *d))

def precompute_freqs_cis(dim, end, theta=10000.0):  # llama2.c model.py
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    return torch.cos(freqs), torch.sin(freqs)

def legacy_export(model, f):
    hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
    p = model.params
    shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
    vocab_size = p.vocab_size if shared_classifier else -p.vocab_size
    f.write(struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads, p.n_kv_heads, vocab_size, p.max_seq_len))
    serialize_fp32(f, model.tok_embeddings.weight)
    for l in model.layers: serialize_fp32(f, l.attention_norm.weight)
    for l in model.layers: serialize_fp32(f, l.attention.wq.weight)
    for l in model.layers: serialize_fp32(f, l.attention.wk.weight)
    for l in model.layers: serialize_fp32(f, l.attention.wv.weight)
    for l in model.layers: serialize_fp32(f, l.attention.wo.weight)
    for l in model.layers: serialize_fp32(f, l.ffn_norm.weight)
    for l in model.layers: serialize_fp32(f, l.feed_forward.w1.weight)
    for l in model.layers: serialize_fp32(f, l.feed_forward.w2.weight)
    for l in model.layers: serialize_fp32(f, l.feed_forward.w3.weight)
    serialize_fp32(f, model.norm.weight)
    serialize_fp32(f, model.freqs_cos[:p.max_seq_len])
    serialize_fp32(f, model.freqs_sin[:p.max_seq_len])
    if not shared_classifier:
        serialize_fp32(f, model.output.weight)

def version1_export(model, f):
    f.write(struct.pack('I', 0x616b3432))
    f.write(struct.pack('i', 1))
    p = model.params
    hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
    f.write(struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads, p.n_kv_heads, p.vocab_size, p.max_seq_len))
    shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
    f.write(struct.pack('B', int(shared_classifier)))
    f.write(b'\0' * (256 - f.tell()))
    weights = [
        *[l.attention_norm.weight for l in model.layers],
        *[l.ffn_norm.weight for l in model.layers],
        model.norm.weight,
        model.tok_embeddings.weight,
        *[l.attention.wq.weight for l in model.layers],
        *[l.attention.wk.weight for l in model.layers],
        *[l.attention.wv.weight for l in model.layers],
        *[l.attention.wo.weight for l in model.layers],
        *[l.feed_forward.w1.weight for l in model.layers],
        *[l.feed_forward.w2.weight for l in model.layers],
        *[l.feed_forward.w3.weight for l in model.layers],
    ]
    if not shared_classifier:
        weights.append(model.output.weight)
    for w in weights:
        serialize_fp32(f, w)

# dim 8, n_layers 2, n_heads 2, n_kv_heads 1, vocab 5, hidden 12, max_seq_len 4
dim, L, H, KV, V, HID, T = 8, 2, 2, 1, 5, 12, 4
hd = dim // H
counter = [0]
def W(*shape):  # tensor k (HF module order) element j = ((37 j + 11 k) % 101 - 50) / 64
    k = counter[0]; counter[0] += 1
    n = 1
    for s in shape: n *= s
    j = torch.arange(n)
    return types.SimpleNamespace(weight=(((37 * j + 11 * k) % 101 - 50).float() / 64).view(*shape))
def build(tied):
    counter[0] = 0
    m = types.SimpleNamespace()
    m.params = types.SimpleNamespace(dim=dim, n_layers=L, n_heads=H, n_kv_heads=KV, vocab_size=V, max_seq_len=T)
    m.tok_embeddings = W(V, dim)
    m.layers = []
    for _ in range(L):
        l = types.SimpleNamespace(attention=types.SimpleNamespace(), feed_forward=types.SimpleNamespace())
        l.attention_norm = W(dim)
        l.attention.wq, l.attention.wk, l.attention.wv, l.attention.wo = W(H*hd, dim), W(KV*hd, dim), W(KV*hd, dim), W(dim, H*hd)
        l.ffn_norm = W(dim)
        l.feed_forward.w1, l.feed_forward.w3, l.feed_forward.w2 = W(HID, dim), W(HID, dim), W(dim, HID)  # gate, up, down
        m.layers.append(l)
    m.norm = W(dim)
    m.output = m.tok_embeddings if tied else W(V, dim)
    m.freqs_cos, m.freqs_sin = precompute_freqs_cis(hd, T * 2)
    return m
for tied in (True, False):
    for name, export in (('v0', legacy_export), ('v1', version1_export)):
        buf = io.BytesIO(); export(build(tied), buf); data = buf.getvalue()
        print(name, 'tied' if tied else 'untied', len(data), hashlib.sha256(data).hexdigest())
cos, sin = precompute_freqs_cis(hd, T)
print(cos.flatten().tolist()); print(sin.flatten().tolist())
# v0 without its RoPE tables (torch's float32 cos/sin may differ from correctly rounded ones by an ulp)
for tied in (True, False):
    buf = io.BytesIO(); legacy_export(build(tied), buf); data = buf.getvalue()
    end = len(data) - (0 if tied else V * dim * 4); start = end - 2 * T * (hd // 2) * 4
    print('v0 no tables', 'tied' if tied else 'untied', start, end, hashlib.sha256(data[:start] + data[end:]).hexdigest())
