#!/usr/bin/env bash
# minllama's own tasks (issue 20, item 5): SST-5 and CFIMDB fine-tuned in full from a base pretrained here,
# over three seeds, against the reference's stories42M numbers (SST-5 dev 0.414, CFIMDB dev 0.800).
# Finished steps are skipped when run again; every run is seeded and resumable.
# From the repository root after `pnpm install`; ../shared/data must exist (the minllama SST-5 / CFIMDB files are
# only there). Everything goes to runs/minllama/ (not committed); summarize.mjs prints the tables.
set -euo pipefail
D=${DATA:-../shared/data}
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

# 2. Full fine-tuning as minllama does it (a linear head on the last token, random init, the raw text), one
#    recipe chosen before any dev score was seen and kept for every seed: AdamW at 5e-4 (warm-up 30, cosine to 0),
#    two epochs, the final weights (no dev set in the loop, no checkpoint chosen on it).
#    SST-5: 8,544 sentences, 534 updates of 32, cut at 64 tokens. CFIMDB: 1,707 reviews, 214 updates of 16, the
#    last 192 tokens of each review.
FT=(--init "$B" --head random --lr 5e-4 --warmup 30 --backend tensorflow)
for seed in $SEEDS; do
  [ -d "$R/sst5-$seed/model" ] || ml finetune "${FT[@]}" --task "minllama:$M/sst-train.txt" --steps 534 \
    --batch-size 32 --max-length 64 --seed "$seed" --out "$R/sst5-$seed"
  [ -s "$R/eval/sst5-$seed.json" ] || ml eval classify --model "$R/sst5-$seed/model" \
    --task "minllama:$M/sst-dev.txt" --backend tensorflow --json > "$R/eval/sst5-$seed.json"
  [ -d "$R/cfimdb-$seed/model" ] || ml finetune "${FT[@]}" --task "minllama:$M/cfimdb-train.txt" --steps 214 \
    --batch-size 16 --max-length 192 --seed "$seed" --out "$R/cfimdb-$seed"
  [ -s "$R/eval/cfimdb-$seed.json" ] || ml eval classify --model "$R/cfimdb-$seed/model" \
    --task "minllama:$M/cfimdb-dev.txt" --backend tensorflow --json > "$R/eval/cfimdb-$seed.json"
done
node docs/experiments/minllama-tasks/summarize.mjs "$R"
