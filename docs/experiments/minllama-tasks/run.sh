#!/usr/bin/env bash
# minllama's own tasks (issue 20, item 5): SST-5 and CFIMDB fine-tuned in full from a base pretrained here,
# over three seeds, against the reference's stories42M numbers (SST-5 dev 0.414, CFIMDB dev 0.800).
# Finished steps are skipped when run again; every run is seeded and resumable.
# From the repository root after `pnpm install`; the data is ../shared/data, or DATA=…, or else the reference data
# `mini-llama data get reference` fetches (reference-data.sh). Everything goes to runs/minllama/ (not committed);
# summarize.mjs prints the tables.
set -euo pipefail
source docs/experiments/reference-data.sh
R=${RUNS:-runs/minllama}
ml() { pnpm --silent mini-llama "$@"; }
M=$D/minllama-sst5-cfimdb
SEEDS=${SEEDS:-"0 1 2"}

# 1. The base: a 4,096-piece BPE vocabulary and a Llama pretrained on unlabelled text only — the same corpus as
#    docs/experiments/wise-ft-sst2 (TinyStories subset, SST-2 train sentences, CFIMDB train reviews, AG News
#    sample; SST-5 / CFIMDB dev are not in it, and no label is read).
if [ ! -d "$R/base/model" ]; then
  [ -s "$R/corpus/corpus.jsonl" ] || node docs/experiments/wise-ft-sst2/corpus.mjs "$D" "$R/corpus"
  [ -s "$R/tok/tokenizer.model" ] || ml tokenizer train --input "$R/corpus/lines.txt" --vocab-size 4096 --out "$R/tok"
  [ -d "$R/data" ] || ml data prepare --tokenizer "$R/tok/tokenizer.model" --input "$R/corpus/corpus.jsonl" \
    --val-fraction 0.02 --out "$R/data"
  ml pretrain --dim 256 --layers 6 --heads 8 --kv-heads 4 --seq-len 256 --data "$R/data" \
    --tokenizer "$R/tok/tokenizer.model" --steps 1000 --batch-size 8 --lr 2e-3 --min-lr 2e-4 --warmup 50 \
    --eval-every 250 --eval-batches 8 --checkpoint-every 250 --backend tensorflow --out "$R/base"
fi
B=$R/base/model
mkdir -p "$R/eval"

# 2. Full fine-tuning as minllama does it: a linear head on the last token, random init, the raw text, AdamW
#    (warm-up 30, cosine to 0), the final weights (no dev set in the loop, no checkpoint chosen on it).
FT=(--init "$B" --head random --warmup 30 --backend tensorflow)

# 2a. SST-5's learning rate and number of epochs, chosen on a seeded tenth of its training set held out (854
#     sentences; the model learns on the other 7,690): one seed per point of the grid below, the best held-out
#     accuracy wins (choose.mjs). The dev set is not read until the recipe is fixed.
S=$R/select
GRID=(2.5e-4@2 2.5e-4@4 5e-4@2 5e-4@4 1e-3@2 1e-3@4)
[ -s "$S/data/sst-fit.txt" ] || node docs/experiments/minllama-tasks/holdout.mjs "$M/sst-train.txt" "$S/data"
FIT=$(wc -l < "$S/data/sst-fit.txt")
mkdir -p "$S/eval"
for point in "${GRID[@]}"; do
  lr=${point%@*} epochs=${point#*@}
  run=$S/sst5-lr$lr-ep$epochs
  [ -d "$run/model" ] || ml finetune "${FT[@]}" --lr "$lr" --task "minllama:$S/data/sst-fit.txt" \
    --steps $(((FIT * epochs + 31) / 32)) --batch-size 32 --max-length 64 --seed 0 --out "$run"
  [ -s "$S/eval/sst5-lr$lr-ep$epochs.json" ] || ml eval classify --model "$run/model" \
    --task "minllama:$S/data/sst-heldout.txt" --backend tensorflow --json > "$S/eval/sst5-lr$lr-ep$epochs.json"
done
read -r SST5_LR SST5_EPOCHS < <(node docs/experiments/minllama-tasks/choose.mjs "$S/eval" "${GRID[@]}")
[ -n "${SST5_EPOCHS:-}" ] || { echo "run.sh: no recipe chosen for SST-5" >&2; exit 1; }
SST5_TRAIN=$(grep -c . "$M/sst-train.txt")

# 2b. Three seeds of each task, trained on the whole training set. SST-5: the recipe of 2a, updates of 32
#     sentences cut at 64 tokens. CFIMDB: AdamW at 5e-4, two epochs (214 updates of 16, the last 192 tokens of
#     each review), fixed before any dev score was seen.
for seed in $SEEDS; do
  [ -d "$R/sst5-$seed/model" ] || ml finetune "${FT[@]}" --lr "$SST5_LR" --task "minllama:$M/sst-train.txt" \
    --steps $(((SST5_TRAIN * SST5_EPOCHS + 31) / 32)) --batch-size 32 --max-length 64 --seed "$seed" \
    --out "$R/sst5-$seed"
  [ -s "$R/eval/sst5-$seed.json" ] || ml eval classify --model "$R/sst5-$seed/model" \
    --task "minllama:$M/sst-dev.txt" --backend tensorflow --json > "$R/eval/sst5-$seed.json"
  [ -d "$R/cfimdb-$seed/model" ] || ml finetune "${FT[@]}" --lr 5e-4 --task "minllama:$M/cfimdb-train.txt" \
    --steps 214 --batch-size 16 --max-length 192 --seed "$seed" --out "$R/cfimdb-$seed"
  [ -s "$R/eval/cfimdb-$seed.json" ] || ml eval classify --model "$R/cfimdb-$seed/model" \
    --task "minllama:$M/cfimdb-dev.txt" --backend tensorflow --json > "$R/eval/cfimdb-$seed.json"
done
node docs/experiments/minllama-tasks/summarize.mjs "$R"
