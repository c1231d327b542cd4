# Sourced by the experiment scripts (from the repository root): sets D to the folder of the reference data —
# $DATA when it is set, else ../shared/data when it is there (the workspace the results were first run in),
# else the same files fetched by `mini-llama data get reference` (each pinned to a commit of its GitHub
# repository and to its SHA-256) into the dataset cache, so that a clone reproduces the numbers.
if [ -n "${DATA:-}" ]; then
  D=$DATA
elif [ -d ../shared/data ]; then
  D=../shared/data
else
  D=$(pnpm --silent mini-llama data get reference --print-dir)
fi
