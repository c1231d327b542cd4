"""mini-llama's PyTorch yardstick: the same measurement as `mini-llama bench`, on transformers + peft.

A model of the shape in MODEL_DIR/config.json (written by mini-llama from its own config, random weights,
float32) is measured in one mode and one JSON line is printed:

  train     AdamW (lr 5e-4, betas 0.9/0.95, weight decay 0.1 on matrices), clipping at 1.0, cross-entropy on
            one fixed random batch of BATCH x SEQ tokens; one warm-up step, then steps for SECONDS (at least 2)
  lora      the same step with a peft LoRA adapter (rank, alpha, target modules as given; no dropout): only the
            adapter is trained
  generate  greedy decoding with the KV cache: a one-token prompt, then TOKENS single-token forward passes;
            after an untimed warm-up run, runs for SECONDS (at least 2), their tokens over their decoding time

With --compile (train and lora) the model's forward runs through torch.compile (inductor, which builds C++ on
CPU); compiling happens in the warm-up step, outside the timing.

Peak RSS is the process's (getrusage), which includes importing torch, as mini-llama's includes Node's.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F


def build(args):
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(args.model_dir)
    torch.manual_seed(args.seed)
    model = AutoModelForCausalLM.from_config(config).float()
    if args.mode == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=args.lora_r,
            lora_alpha=args.lora_alpha,
            target_modules=args.lora_targets.split(","),
            lora_dropout=0.0,
            bias="none",
        )
        model = get_peft_model(model, lora)
    return model, config


def train(args, model, config):
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=5e-4, betas=(0.9, 0.95))
    vocab = config.vocab_size
    generator = torch.Generator().manual_seed(args.seed)
    inputs = torch.randint(vocab, (args.batch, args.seq), generator=generator)
    targets = torch.randint(vocab, (args.batch, args.seq), generator=generator)

    forward = torch.compile(model) if args.compile else model

    def step():
        logits = forward(input_ids=inputs).logits
        loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()

    step()  # warm-up: optimizer state allocated
    started = time.perf_counter()
    steps = 0
    while steps < 2 or time.perf_counter() - started < args.seconds:
        step()
        steps += 1
    elapsed = time.perf_counter() - started
    tokens = steps * args.batch * args.seq
    return {"steps": steps, "tokens": tokens, "tokens_per_second": tokens / elapsed}


@torch.inference_mode()
def generate(args, model, config):
    model.eval()

    def run(count):
        out = model(input_ids=torch.tensor([[1]]), use_cache=True)
        started = time.perf_counter()
        for _ in range(count):
            token = out.logits[:, -1].argmax(-1, keepdim=True)
            out = model(input_ids=token, past_key_values=out.past_key_values, use_cache=True)
        return time.perf_counter() - started

    run(min(8, args.tokens))  # warm-up
    runs, elapsed, started = 0, 0.0, time.perf_counter()
    while runs < 2 or time.perf_counter() - started < args.seconds:
        elapsed += run(args.tokens)
        runs += 1
    return {"tokens": runs * args.tokens, "tokens_per_second": runs * args.tokens / elapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["train", "lora", "generate"])
    parser.add_argument("--model-dir", required=True, help="a folder with the model's config.json")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tokens", type=int, default=255)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument("--lora-alpha", type=float, default=16)
    parser.add_argument("--lora-targets", default="q_proj,v_proj")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compile", action="store_true", help="train and lora: the forward through torch.compile")
    args = parser.parse_args()
    if args.compile and args.mode == "generate":
        parser.error("--compile measures training (train, lora) only")
    torch.set_num_threads(args.threads)
    model, config = build(args)
    result = generate(args, model, config) if args.mode == "generate" else train(args, model, config)
    result.update(
        mode=args.mode,
        threads=torch.get_num_threads(),
        compiled=args.compile,
        torch_version=torch.__version__,
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
