#!/usr/bin/env bash
# Makes .venv-peft: a Python with torch (CPU), transformers and Hugging Face peft, for the tests that load
# adapters we write in the real peft library (packages/peft-lora/src/node/peft-library.test.ts) and for
# regenerating packages/peft-lora/test/fixtures/peft.* (peft_library.py generate). Needs python3-venv and a
# package index pip can reach (PyPI or a local mirror); without one it fails and those tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
venv=.venv-peft
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch, transformers, peft' 2>/dev/null; then
  echo "peft-venv: $venv is ready"
  exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
# Versions the committed fixtures were made with; newer ones are fine for the checks.
"$venv/bin/pip" install --quiet --disable-pip-version-check --retries 1 --timeout 20 \
  'torch>=2.1' 'transformers>=4.45' 'peft>=0.13' safetensors numpy
"$venv/bin/python" -c 'import torch, transformers, peft; print(f"peft-venv: torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__} in .venv-peft")'
