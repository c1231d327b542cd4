"""What this machine can do at best, for docs/performance.md's limits: float32 matrix-product GFLOP/s (PyTorch's
sgemm on a large square product, all threads and one) and memory bandwidth (GB/s of a large copy, read + write).

  machine_limits.py [--size 2048] [--bytes 536870912]

Prints one JSON line: {"gflops": {"threads": n, "all": x, "one": y}, "copy_gbs": z}.
"""
import argparse
import json
import os
import time

import torch


def best_of(runs, work):
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def gflops(size, threads):
    torch.set_num_threads(threads)
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    a @ b  # warm-up
    seconds = best_of(5, lambda: a @ b)
    return 2 * size**3 / seconds / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--bytes", type=int, default=512 * 1024 * 1024)
    args = parser.parse_args()
    threads = os.cpu_count()
    result = {"gflops": {"threads": threads, "all": gflops(args.size, threads), "one": gflops(args.size, 1)}}
    source = torch.ones(args.bytes // 4)
    target = torch.empty_like(source)
    target.copy_(source)  # warm-up: pages touched
    seconds = best_of(5, lambda: target.copy_(source))
    result["copy_gbs"] = 2 * args.bytes / seconds / 1e9  # read one buffer, write the other
    result["torch_version"] = torch.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
