"""Writes a random-weight checkpoint of a model shape with transformers, as the Hub's files look.

  random_checkpoint.py CONFIG_JSON OUT_DIR [--dtype bfloat16]

CONFIG_JSON is a config.json (mini-llama writes one from its preset); OUT_DIR gets config.json and
model.safetensors (or shards, past transformers' shard size), written by save_pretrained from a model initialised
by transformers' own init in the given dtype.
"""
import argparse
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_json")
    parser.add_argument("out_dir")
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.time()
    config = AutoConfig.from_pretrained(args.config_json)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    torch.set_default_dtype(dtype)
    model = AutoModelForCausalLM.from_config(config)
    model.to(dtype)
    model.save_pretrained(args.out_dir, safe_serialization=True)
    count = sum(p.numel() for p in model.parameters())
    print(f"{args.out_dir}: {count:,} parameters in {args.dtype}, {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
