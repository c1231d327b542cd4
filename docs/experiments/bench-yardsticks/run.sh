#!/usr/bin/env bash
# docs/performance.md's yardstick table: ours beside PyTorch 2.x eager, torch.compile and llama2.c's run.c on
# one machine in one run, and the machine's limits (sgemm GFLOP/s, copy bandwidth). Run it with nothing else
# on the machine. Needs scripts/peft-venv.sh's .venv-peft (PyTorch 2.x + transformers + peft) and llama2.c's run.c
# (RUN_C=…; default ../shared/peers/llama2c/run.c, else the copy `mini-llama data get reference llama2c`
# fetches, pinned to llama2.c's commit 350e04f and its SHA-256). About 15 minutes on 2 cores.
# `node docs/experiments/bench-yardsticks/summarize.mjs` prints the table from runs/bench-yardsticks/.
set -euo pipefail
R=runs/bench-yardsticks
if [ -z "${RUN_C:-}" ]; then
  RUN_C=../shared/peers/llama2c/run.c
  [ -f "$RUN_C" ] || RUN_C=$(pnpm --silent mini-llama data get reference llama2c --print-dir)/llama2c/run.c
fi
mkdir -p "$R"
pnpm --silent mini-llama bench --presets stories260K,stories15M --modes train,generate --backends tensorflow,wasm \
  --seconds 20 --torch-compile --run-c "$RUN_C" --json > "$R/bench.json" 2> "$R/bench.log"
tail -1 "$R/bench.log"
.venv-peft/bin/python packages/bench/python/machine_limits.py > "$R/limits.json"
cat "$R/limits.json"
