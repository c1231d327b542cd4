"""Continue training a mini-llama model under torchrun (PyTorch DistributedDataParallel), on mini-llama's shards.

  torchrun --nproc_per_node 2 scripts/torchrun/train_ddp.py --model MODEL_DIR --data SHARDS_DIR --out OUT_DIR \
      [--steps 100] [--batch 8] [--seq 256] [--lr 3e-4] [--seed 0]

MODEL_DIR is an HF folder (mini-llama's `model/` of a run, or `mini-llama convert … --to hf`); SHARDS_DIR is
`mini-llama data prepare`'s output (manifest.json + flat uint16/uint32 token files). Each process draws its own
random windows of SEQ + 1 tokens from the train split (seed + rank), gradients are averaged across processes by
DDP (gloo on CPU, nccl on CUDA), and AdamW steps (β 0.9/0.95, weight decay 0.1 on matrices, clipping at 1.0).
Rank 0 then writes OUT_DIR with save_pretrained (safetensors; mini-llama loads it) and `ddp-result.json`: the
validation split's perplexity measured here with mini-llama's windows (`eval perplexity --window SEQ --stride
SEQ`), so the number can be checked on the other side.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from transformers import AutoModelForCausalLM


def token_stream(data_dir, split):
    """The split's shards in the manifest's order, as one token stream (int64)."""
    with open(os.path.join(data_dir, "manifest.json")) as f:
        manifest = json.load(f)
    dtype = {"uint16": "<u2", "uint32": "<u4"}[manifest["dtype"]]
    parts = [
        np.fromfile(os.path.join(data_dir, shard["file"]), dtype=dtype)
        for shard in manifest["shards"]
        if shard["split"] == split
    ]
    if not parts:
        raise SystemExit(f"{data_dir}/manifest.json: no {split} shards")
    return torch.from_numpy(np.concatenate(parts).astype(np.int64))


def sliding_windows(length, window, stride):
    """mini-llama's windows (@mini-llama/eval slidingWindows): every token but the first scored once."""
    scored = 1
    while scored < length:
        end = min(length, window + 1) if scored == 1 else min(length, scored + stride)
        start = max(0, end - 1 - window)
        yield start, end, scored
        scored = end


@torch.no_grad()
def perplexity(model, tokens, window):
    model.eval()
    total, count = 0.0, 0
    for start, end, score_from in sliding_windows(len(tokens), window, window):
        inputs = tokens[start : end - 1].unsqueeze(0)
        targets = tokens[start + 1 : end]
        logits = model(input_ids=inputs).logits[0].float()
        nll = F.cross_entropy(logits, targets, reduction="none")
        total += nll[score_from - start - 1 :].double().sum().item()
        count += end - score_from
    return total / count, count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=8, help="sequences per process per step")
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    torch.manual_seed(args.seed)  # the same weights on every rank (they come from the file anyway)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).to(device)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": matrices, "weight_decay": 0.1}, {"params": vectors, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )
    train = token_stream(args.data, "train")
    if len(train) <= args.seq + 1:
        raise SystemExit(f"{args.data}: the train split has {len(train)} tokens, fewer than --seq + 2")
    generator = torch.Generator().manual_seed(args.seed + rank)
    started = time.time()
    for step in range(1, args.steps + 1):
        ddp.train()
        offsets = torch.randint(0, len(train) - args.seq - 1, (args.batch,), generator=generator)
        windows = torch.stack([train[o : o + args.seq + 1] for o in offsets.tolist()]).to(device)
        logits = ddp(input_ids=windows[:, :-1]).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients of all processes here
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if rank == 0 and (step == 1 or step % 10 == 0 or step == args.steps):
            print(f"step {step}/{args.steps}  loss {loss.item():.4f}  ({world} processes)", flush=True)

    if rank == 0:
        model.save_pretrained(args.out, safe_serialization=True)
        nll, count = perplexity(model, token_stream(args.data, "val").to(device), args.seq)
        result = {
            "steps": args.steps,
            "world_size": world,
            "batch_per_process": args.batch,
            "seq": args.seq,
            "seconds": round(time.time() - started, 1),
            "val_nll": nll,
            "val_perplexity": math.exp(nll),
            "val_tokens": count,
            "torch_version": torch.__version__,
        }
        with open(os.path.join(args.out, "ddp-result.json"), "w") as f:
            json.dump(result, f, indent=2)
        print(json.dumps(result), flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
