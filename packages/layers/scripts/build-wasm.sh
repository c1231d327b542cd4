#!/usr/bin/env bash
# Compiles the WebAssembly kernels (src/kernels/wasm/*.c) and writes each one's two builds, base64-encoded, to
# src/kernels/wasm/NAME-binary.ts (committed: installing the package needs no compiler). Needs clang and wasm-ld
# (LLVM ≥ 14: `apt-get install clang lld`) and wabt's wasm2wat (`apt-get install wabt`) for the checks: a kernel
# runs inside tfjs-backend-wasm's memory, so its module must import that memory and own nothing in it — no data
# segment, no shadow stack (`__stack_pointer` never read or written), no other import.
set -euo pipefail
cd "$(dirname "$0")/../src/kernels/wasm"
OPT=${OPT:--O2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for source in *.c; do
  name=${source%.c}
  common=(--target=wasm32 "$OPT" -msimd128 -nostdlib -ffreestanding -fno-builtin -Wall -Werror
    -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
  clang "${common[@]}" -o "$work/$name-plain.wasm" "$source"
  clang "${common[@]}" -matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
    -o "$work/$name-shared.wasm" "$source"
  for kind in plain shared; do
    wat=$(wasm2wat --enable-threads "$work/$name-$kind.wasm")
    imports=$(grep -c '(import ' <<< "$wat" || true)
    if [ "$imports" != 1 ] || ! grep -q '(import "env" "memory"' <<< "$wat"; then
      echo "build-wasm: $name ($kind) imports more than the memory" >&2; exit 1
    fi
    if grep -q '(data ' <<< "$wat"; then echo "build-wasm: $name ($kind) has a data segment" >&2; exit 1; fi
    if grep -qE 'global\.(get|set)' <<< "$wat"; then
      echo "build-wasm: $name ($kind) uses a global (the shadow stack?): it would write into tfjs's heap" >&2; exit 1
    fi
  done
  constant=$(tr '[:lower:]-' '[:upper:]_' <<< "$name")_BINARY
  {
    echo "// Written by scripts/build-wasm.sh from ./$source ($(clang --version | head -1 | sed 's/ *(.*//'), $OPT -msimd128): do not edit."
    echo "import type { WasmKernelBinary } from './wasm-module.js';"
    echo
    echo "export const $constant: WasmKernelBinary = {"
    echo "  plain: '$(base64 -w0 "$work/$name-plain.wasm")',"
    echo "  shared: '$(base64 -w0 "$work/$name-shared.wasm")',"
    echo "};"
  } > "$name-binary.ts"
  echo "build-wasm: $name-binary.ts ($(stat -c %s "$work/$name-plain.wasm") + $(stat -c %s "$work/$name-shared.wasm") bytes)"
done
