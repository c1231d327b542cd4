#!/usr/bin/env python3
"""PyTorch reference for the TinyStories learning check (issue: the trainer matches PyTorch).

Trains the stories260K shape (vocabulary 512) on the same token stream as `mini-llama pretrain --order
sequential`: the shards written by `mini-llama data prepare`, cut into llama2.c windows (window k = tokens
[k·T, k·T + T], x its first T, y its last T; consecutive windows fill each batch, epochs wrap around), with
the same hyper-parameters (AdamW with decay on matrices only, linear warm-up from lr/warmup then cosine to
min_lr, global-norm clipping) and the same validation batches (the first EVAL_BATCHES batches of sequential
windows over the val split). It also writes its initial weights as an HF directory, which our run loads with
--init, so both start from the same point.

  /usr/bin/python3 docs/experiments/tinystories-260k/torch_reference.py DATA_DIR OUT_DIR [--steps N] ...

Writes OUT_DIR/init/{config.json,model.safetensors} and OUT_DIR/torch-curve.json.
"""
import argparse
import json
import math
import os
import struct

import torch
import torch.nn.functional as F


def hidden_dim(dim, multiple_of):
    h = int(2 * (4 * dim) / 3)
    return multiple_of * ((h + multiple_of - 1) // multiple_of)


class Llama(torch.nn.Module):
    """The Llama 2 decoder in llama2.c's layout (interleaved RoPE), tied head, llama2.c initialisation."""

    def __init__(self, dim, n_layers, n_heads, n_kv_heads, vocab, max_seq_len, multiple_of, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.dim, self.n_heads, self.n_kv_heads, self.vocab = dim, n_heads, n_kv_heads, vocab
        hd, hid = dim // n_heads, hidden_dim(dim, multiple_of)
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)
        self.tok = torch.nn.Embedding(vocab, dim)
        self.layers = torch.nn.ModuleList()
        for _ in range(n_layers):
            m = torch.nn.Module()
            m.wq, m.wk, m.wv, m.wo = lin(dim, dim), lin(dim, n_kv_heads * hd), lin(dim, n_kv_heads * hd), lin(dim, dim)
            m.w1, m.w2, m.w3 = lin(dim, hid), lin(hid, dim), lin(dim, hid)
            m.attn_norm, m.ffn_norm = torch.nn.Parameter(torch.ones(dim)), torch.nn.Parameter(torch.ones(dim))
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(dim))
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("wo.weight", "w3.weight")) else 0.02
                torch.nn.init.normal_(p, 0.0, std)
        freqs = 1.0 / (10000.0 ** (torch.arange(0, hd, 2)[: hd // 2].float() / hd))
        angles = torch.outer(torch.arange(max_seq_len).float(), freqs)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, tokens):
        B, T = tokens.shape
        H, KV, hd = self.n_heads, self.n_kv_heads, self.dim // self.n_heads
        cos, sin = self.cos[:T, None], self.sin[:T, None]

        def rope(x):
            a, b = x[..., 0::2], x[..., 1::2]
            return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)

        def rms(x, w):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w

        h = self.tok(tokens)
        mask = torch.full((T, T), float("-inf")).triu(1)
        for m in self.layers:
            x = rms(h, m.attn_norm)
            q = rope(m.wq(x).view(B, T, H, hd)).transpose(1, 2)
            k = rope(m.wk(x).view(B, T, KV, hd)).transpose(1, 2).repeat_interleave(H // KV, 1)
            v = m.wv(x).view(B, T, KV, hd).transpose(1, 2).repeat_interleave(H // KV, 1)
            att = F.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, -1)
            h = h + m.wo((att @ v).transpose(1, 2).reshape(B, T, -1))
            x = rms(h, m.ffn_norm)
            h = h + m.w2(F.silu(m.w1(x)) * m.w3(x))
        return rms(h, self.norm) @ self.tok.weight.T


def permute(w, n_heads, dim1, dim2):  # interleaved → HF rotate-half rows
    return w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)


def save_hf(model, directory, args):
    os.makedirs(directory, exist_ok=True)
    d, hd = model.dim, model.dim // model.n_heads
    kv = model.n_kv_heads * hd
    sd = {"model.embed_tokens.weight": model.tok.weight}
    for i, m in enumerate(model.layers):
        p = f"model.layers.{i}."
        sd[p + "input_layernorm.weight"] = m.attn_norm
        sd[p + "self_attn.q_proj.weight"] = permute(m.wq.weight, model.n_heads, d, d)
        sd[p + "self_attn.k_proj.weight"] = permute(m.wk.weight, model.n_kv_heads, kv, d)
        sd[p + "self_attn.v_proj.weight"] = m.wv.weight
        sd[p + "self_attn.o_proj.weight"] = m.wo.weight
        sd[p + "post_attention_layernorm.weight"] = m.ffn_norm
        sd[p + "mlp.gate_proj.weight"] = m.w1.weight
        sd[p + "mlp.up_proj.weight"] = m.w3.weight
        sd[p + "mlp.down_proj.weight"] = m.w2.weight
    sd["model.norm.weight"] = model.norm
    header, blobs, offset = {}, [], 0
    for name, t in sd.items():
        data = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(directory, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": d,
              "intermediate_size": model.layers[0].w1.weight.shape[0], "num_hidden_layers": len(model.layers),
              "num_attention_heads": model.n_heads, "num_key_value_heads": model.n_kv_heads,
              "vocab_size": model.vocab, "max_position_embeddings": args.seq_len, "rms_norm_eps": 1e-5,
              "rope_theta": 10000.0, "tie_word_embeddings": True, "hidden_act": "silu", "torch_dtype": "float32"}
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def read_split(data_dir, split):
    manifest = json.load(open(os.path.join(data_dir, "manifest.json")))
    dtype = {"uint16": torch.int16, "uint32": torch.int32}[manifest["dtype"]]
    parts = []
    for shard in manifest["shards"]:
        if shard["split"] == split:
            raw = open(os.path.join(data_dir, shard["file"]), "rb").read()
            t = torch.frombuffer(bytearray(raw), dtype=dtype).to(torch.int64)
            parts.append(t & 0xFFFF if manifest["dtype"] == "uint16" else t)
    return torch.cat(parts), manifest


class Windows:
    """Sequential llama2.c windows over one stream, batches of consecutive windows, wrapping around."""

    def __init__(self, tokens, T):
        self.tokens, self.T = tokens, T
        self.count = (len(tokens) - 1) // T
        self.position = 0

    def next(self, B):
        rows = []
        for _ in range(B):
            start = self.position * self.T
            rows.append(self.tokens[start:start + self.T + 1])
            self.position = (self.position + 1) % self.count
        batch = torch.stack(rows)
        return batch[:, :-1], batch[:, 1:]


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    return args.min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (args.lr - args.min_lr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_dir")
    p.add_argument("out_dir")
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--min-lr", type=float, default=3e-4)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=25)
    p.add_argument("--eval-batches", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    train, manifest = read_split(args.data_dir, "train")
    val, _ = read_split(args.data_dir, "val")
    model = Llama(64, 5, 8, 4, manifest["vocabSize"], args.seq_len, 4, args.seed)
    save_hf(model, os.path.join(args.out_dir, "init"), args)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    no_decay = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    windows = Windows(train, args.seq_len)
    val_windows = (len(val) - 1) // args.seq_len
    val_batch = min(args.batch, val_windows)

    @torch.no_grad()
    def evaluate():
        v = Windows(val, args.seq_len)
        batches = min(args.eval_batches, max(1, val_windows // val_batch))
        losses = []
        for _ in range(batches):
            x, y = v.next(val_batch)
            losses.append(F.cross_entropy(model(x).reshape(-1, model.vocab), y.reshape(-1)).item())
        return sum(losses) / len(losses)

    curve = []
    for step in range(args.steps):
        x, y = windows.next(args.batch)
        loss = F.cross_entropy(model(x).reshape(-1, model.vocab), y.reshape(-1))
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip))
        opt.step()
        opt.zero_grad(set_to_none=True)
        entry = {"step": step + 1, "loss": loss.item(), "gradNorm": norm, "lr": lr_at(step, args)}
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            entry["valLoss"] = evaluate()
            print(json.dumps(entry), flush=True)
        curve.append(entry)
    with open(os.path.join(args.out_dir, "torch-curve.json"), "w") as f:
        json.dump({"args": vars(args), "curve": curve}, f)


if __name__ == "__main__":
    main()
