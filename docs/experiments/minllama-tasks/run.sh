#!/usr/bin/env bash
# minllama's own tasks (issue 20, item 5): SST-5 and CFIMDB fine-tuned in full from a base pretrained here,
# over five seeds, against the reference's stories42M numbers (SST-5 dev 0.414, CFIMDB dev 0.800).
# Finished steps are skipped when run again; every run is seeded and resumable.
# From the repository root after `pnpm install`; the data is ../shared/data, or DATA=…, or else the reference data
# `mini-llama data get reference` fetches (reference-data.sh). Everything goes to runs/minllama/ (not committed);
# summarize.mjs prints the tables.
set -euo pipefail
source docs/experiments/reference-data.sh
R=${RUNS:-runs/minllama}
ml() { pnpm --silent mini-llama "$@"; }
M=$D/minllama-sst5-cfimdb
SEEDS=${SEEDS:-"0 1 2 3 4"}                             # "0 1 2" before 2026-12-04
BASE_STEPS=${BASE_STEPS:-3000}                          # 1000 for the 2026-12-03 base
# LR@EPOCHS[@HEAD]: HEAD random (the default) or zero-shot (texts in the task's prompt, the head made of the LM
# head's rows for the label words: prompt-based fine-tuning, LM-BFF's; in the grids since 2026-12-04's second run)
ZS=@zero-shot
SST5_GRID=(${SST5_GRID:-2.5e-4@2 5e-4@2 1e-3@2 2e-3@2 5e-4@2$ZS 1e-3@2$ZS 2e-3@2$ZS})  # "2.5e-4@2 2.5e-4@4 5e-4@2 5e-4@4 1e-3@2 1e-3@4" at first
CFIMDB_GRID=(${CFIMDB_GRID:-2.5e-4@2 5e-4@2 1e-3@2 2e-3@2 5e-4@2$ZS 1e-3@2$ZS 2e-3@2$ZS})  # 5e-4@2: the recipe fixed before 2026-12-04

# train OUT COMMAND ARGS…: `mini-llama COMMAND` training into OUT, skipped once OUT/model exists, continued with
# --resume where a run was interrupted (OUT/run-config.json written, no model yet).
# eval_to FILE ARGS…: `mini-llama eval classify`'s JSON into FILE, written whole or not at all.
train() {
  local out=$1 command=$2
  shift 2
  if [ -d "$out/model" ]; then return; fi
  if [ -f "$out/run-config.json" ]; then ml "$command" --resume "$out"; else ml "$command" "$@" --out "$out"; fi
}
eval_to() {
  local file=$1
  shift
  [ -s "$file" ] || { ml eval classify "$@" --backend tensorflow --json > "$file.partial" && mv "$file.partial" "$file"; }
}

# 1. The base: a 4,096-piece BPE vocabulary and a Llama pretrained on unlabelled text only — the same corpus as
#    docs/experiments/wise-ft-sst2 (TinyStories subset, SST-2 train sentences, CFIMDB train reviews, AG News
#    sample; SST-5 / CFIMDB dev are not in it, and no label is read).
if [ ! -d "$R/base/model" ]; then
  [ -s "$R/corpus/corpus.jsonl" ] || node docs/experiments/wise-ft-sst2/corpus.mjs "$D" "$R/corpus"
  [ -s "$R/tok/tokenizer.model" ] || ml tokenizer train --input "$R/corpus/lines.txt" --vocab-size 4096 --out "$R/tok"
  [ -d "$R/data" ] || ml data prepare --tokenizer "$R/tok/tokenizer.model" --input "$R/corpus/corpus.jsonl" \
    --val-fraction 0.02 --out "$R/data"
  train "$R/base" pretrain --dim 256 --layers 6 --heads 8 --kv-heads 4 --seq-len 256 --data "$R/data" \
    --tokenizer "$R/tok/tokenizer.model" --steps "$BASE_STEPS" --batch-size 8 --lr 2e-3 --min-lr 2e-4 --warmup 50 \
    --eval-every 250 --eval-batches 8 --checkpoint-every 500 --backend tensorflow
fi
B=$R/base/model
mkdir -p "$R/eval"

# 2. Full fine-tuning as minllama does it: a linear head on the last token, AdamW (warm-up 30, cosine to 0), the
#    final weights (no dev set in the loop, no checkpoint chosen on it); the head starts random on the raw text
#    as minllama's does, or from the label words' LM-head rows with the text in the task's prompt, as the
#    held-out grid chooses.
FT=(--init "$B" --warmup 30 --backend tensorflow)

# 2a. Each task's learning rate and number of epochs, chosen on a seeded tenth of its training set held out (SST-5:
#     854 sentences, learning on the other 7,690; CFIMDB: 171 reviews, learning on the other 1,536): one seed per
#     point of its grid, the best held-out accuracy wins (choose.mjs). No dev set is read until the recipes are
#     fixed. SST5_GRID is two epochs at four rates: on the first 1,000-step base's held-out tenth, four epochs lost
#     to two at two rates of three; on the 3,000-step base's, the highest of 2.5e-4, 5e-4 and 1e-3 won, so the grid
#     goes one rate further. CFIMDB's recipe was fixed at 5e-4 for two epochs until 2026-12-04 (CFIMDB_GRID=5e-4@2
#     gives it back); its grid came after the 3,000-step base's dev scores fell below minllama's (docs/results.md),
#     and goes one rate past the first three for the same reason as SST-5's. The zero-shot-head points came into
#     both grids after five seeds of the random-head recipe left SST-5's dev mean below minllama's
#     (docs/results.md says so); the choice is still the held-out tenth's alone.
S=$R/select
mkdir -p "$S/eval"
# recipe TASK PREFIX BATCH MAX_LENGTH LR@EPOCHS[@HEAD]… : trains one held-out run per point (seed 0) and prints
# the chosen "LR EPOCHS HEAD"
recipe() {
  local task=$1 prefix=$2 batch=$3 length=$4
  shift 4
  [ -s "$S/data/$prefix-fit.txt" ] || node docs/experiments/minllama-tasks/holdout.mjs "$M/$prefix-train.txt" "$S/data" >&2
  local fit lr epochs head name
  fit=$(grep -c . "$S/data/$prefix-fit.txt")
  for point in "$@"; do
    IFS=@ read -r lr epochs head <<< "$point"
    name=$task-lr$lr-ep$epochs${head:+-$head}
    train "$S/$name" finetune "${FT[@]}" --head "${head:-random}" --lr "$lr" \
      --task "minllama:$S/data/$prefix-fit.txt" --steps $(((fit * epochs + batch - 1) / batch)) \
      --batch-size "$batch" --max-length "$length" --seed 0 >&2
    eval_to "$S/eval/$name.json" --model "$S/$name/model" --task "minllama:$S/data/$prefix-heldout.txt"
  done
  node docs/experiments/minllama-tasks/choose.mjs "$S/eval" "$task" "$@"
}
# fix TASK LR EPOCHS HEAD: the seeds' runs of a task are of one recipe; a grid that now chooses another refuses to
# mix (a random head's recipe is recorded as LR@EPOCHS, as before heads were in the grid)
fix() {
  local task=$1 chosen=$2@$3${4:+@$4}
  [ -n "$3" ] || { echo "run.sh: no recipe chosen for $task" >&2; exit 1; }
  if [ -s "$R/$task-recipe" ] && [ "$(cat "$R/$task-recipe")" != "$chosen" ]; then
    echo "run.sh: $task's recipe is now $chosen, $R/$task-* were trained with $(cat "$R/$task-recipe");" \
      "move its seeds' runs ($R/$task-N for N in $SEEDS) and $R/eval/$task-*.json aside to train them again" >&2
    exit 1
  fi
  echo "$chosen" > "$R/$task-recipe"
}
read -r SST5_LR SST5_EPOCHS SST5_HEAD < <(recipe sst5 sst 32 64 "${SST5_GRID[@]}")
fix sst5 "$SST5_LR" "${SST5_EPOCHS:-}" "${SST5_HEAD/#random/}"
read -r CFIMDB_LR CFIMDB_EPOCHS CFIMDB_HEAD < <(recipe cfimdb cfimdb 16 192 "${CFIMDB_GRID[@]}")
fix cfimdb "$CFIMDB_LR" "${CFIMDB_EPOCHS:-}" "${CFIMDB_HEAD/#random/}"
SST5_TRAIN=$(grep -c . "$M/sst-train.txt")
CFIMDB_TRAIN=$(grep -c . "$M/cfimdb-train.txt")

# 2b. Five seeds of each task with its recipe, trained on the whole training set: SST-5 in updates of 32
#     sentences cut at 64 tokens, CFIMDB in updates of 16 reviews, the last 192 tokens of each.
for seed in $SEEDS; do
  train "$R/sst5-$seed" finetune "${FT[@]}" --head "$SST5_HEAD" --lr "$SST5_LR" --task "minllama:$M/sst-train.txt" \
    --steps $(((SST5_TRAIN * SST5_EPOCHS + 31) / 32)) --batch-size 32 --max-length 64 --seed "$seed"
  eval_to "$R/eval/sst5-$seed.json" --model "$R/sst5-$seed/model" --task "minllama:$M/sst-dev.txt"
  train "$R/cfimdb-$seed" finetune "${FT[@]}" --head "$CFIMDB_HEAD" --lr "$CFIMDB_LR" --task "minllama:$M/cfimdb-train.txt" \
    --steps $(((CFIMDB_TRAIN * CFIMDB_EPOCHS + 15) / 16)) --batch-size 16 --max-length 192 --seed "$seed"
  eval_to "$R/eval/cfimdb-$seed.json" --model "$R/cfimdb-$seed/model" --task "minllama:$M/cfimdb-dev.txt"
done
node docs/experiments/minllama-tasks/summarize.mjs "$R"
