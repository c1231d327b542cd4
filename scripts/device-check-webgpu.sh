#!/usr/bin/env bash
# Device check (issue 8): on a machine with an NVIDIA GPU and its Vulkan driver, measure mini-llama's training
# and generation on WebGPU (Dawn, the `webgpu` package) beside wasm and PyTorch, in one run. Prepared to run
# in one call of a few minutes: installs nothing beyond the workspace, prints the GPU, then one table.
#   bash scripts/device-check-webgpu.sh [seconds-per-preset]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-8}"
export TURBO_TELEMETRY_DISABLED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null
command -v pnpm >/dev/null || npm install -g pnpm@10.34.8 >/dev/null
[ -d node_modules ] || pnpm install --frozen-lockfile >/dev/null
pnpm turbo build --filter mini-llama... >/dev/null
# The GPU's own Vulkan driver (never SwiftShader here): unset anything pointing elsewhere.
unset VK_ICD_FILENAMES
pnpm --filter @mini-llama/example-backend-bench bench -- --backends webgpu,wasm --seconds "$seconds"
