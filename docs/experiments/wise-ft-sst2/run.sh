#!/usr/bin/env bash
# The experiment of docs/results.md ("WiSE-FT, LoRA and zero-shot on real data"), end to end.
# Finished steps are skipped when run again.
# From the repository root after `pnpm install && pnpm build`; the data is ../shared/data, DATA=…, or
# else what `mini-llama data get reference` fetches (reference-data.sh). About 75 minutes on
# 2 cores (the pretraining is 25 of them). Everything goes to runs/wiseft/ (not committed).
set -euo pipefail
source docs/experiments/reference-data.sh
R=runs/wiseft
ml() { node packages/cli/dist/bin.js "$@"; }
export MINI_LLAMA_WASM_THREADS=${MINI_LLAMA_WASM_THREADS:-2}
UCI=(--ood "uci:$D/uci-sentiment/amazon_cells_labelled.txt" --ood "uci:$D/uci-sentiment/imdb_labelled.txt"
  --ood "uci:$D/uci-sentiment/yelp_labelled.txt")

# 1. The base: our tokenizer and a 1.25M-parameter Llama pretrained on unlabelled text only.
if [ ! -d "$R/base/model" ]; then
  node docs/experiments/wise-ft-sst2/corpus.mjs "$D" "$R/corpus"
  ml tokenizer train --input "$R/corpus/lines.txt" --vocab-size 2048 --out "$R/tok"
  ml data prepare --tokenizer "$R/tok/tokenizer.model" --input "$R/corpus/corpus.jsonl" --val-fraction 0.02 \
    --out "$R/data"
  ml pretrain --dim 128 --layers 4 --heads 4 --kv-heads 2 --seq-len 128 --data "$R/data" \
    --tokenizer "$R/tok/tokenizer.model" --steps 800 --batch-size 16 --lr 2e-3 --min-lr 2e-4 --warmup 40 \
    --eval-every 200 --eval-batches 8 --checkpoint-every 200 --backend wasm --out "$R/base"
fi
B=$R/base/model
mkdir -p "$R/eval"

# 2. Zero-shot: SST-2 dev with the UCI sets out of domain, AG News test (first 1,000), SST-5 and CFIMDB dev.
[ -s "$R/eval/zs-sst2.json" ] || ml eval classify --model "$B" --task "sst2:$D/sst2/dev.tsv" "${UCI[@]}" --zero-shot --json > "$R/eval/zs-sst2.json"
[ -s "$R/eval/zs-sst2-calibrated.json" ] || ml eval classify --model "$B" --task "sst2:$D/sst2/dev.tsv" "${UCI[@]}" --zero-shot --calibrate --json \
  > "$R/eval/zs-sst2-calibrated.json"
[ -s "$R/eval/zs-ag.json" ] || ml eval classify --model "$B" --task "ag_news:$D/ag_news/test.csv" --limit 1000 --zero-shot --json > "$R/eval/zs-ag.json"
[ -s "$R/eval/zs-ag-calibrated.json" ] || ml eval classify --model "$B" --task "ag_news:$D/ag_news/test.csv" --limit 1000 --zero-shot --calibrate --json \
  > "$R/eval/zs-ag-calibrated.json"
[ -s "$R/eval/zs-sst5.json" ] || ml eval classify --model "$B" --task "minllama:$D/minllama-sst5-cfimdb/sst-dev.txt" --zero-shot --json > "$R/eval/zs-sst5.json"
[ -s "$R/eval/zs-cfimdb.json" ] || ml eval classify --model "$B" --task "minllama:$D/minllama-sst5-cfimdb/cfimdb-dev.txt" --zero-shot --json \
  > "$R/eval/zs-cfimdb.json"

# 3. SST-2 fine-tuning from the zero-shot head: in full and with LoRA, the same 300 updates of 32.
FT=(--init "$B" --task "sst2:$D/sst2/train.tsv" --eval-task "sst2:$D/sst2/dev.tsv" --head zero-shot --steps 300
  --batch-size 32 --max-length 64 --warmup 20 --eval-every 100 --eval-batches 8 --backend wasm)
[ -d "$R/sst2-full/model" ] || ml finetune "${FT[@]}" --lr 1e-3 --out "$R/sst2-full"
[ -f "$R/sst2-lora/adapter_model.safetensors" ] || ml finetune "${FT[@]}" --lr 3e-3 --lora-rank 8 --lora-alpha 16 \
  --out "$R/sst2-lora"

# 4. WiSE-FT: α from 0 (zero-shot) to 1 (fine-tuned), chosen on SST-2 dev, UCI out of domain.
[ -s "$R/eval/wiseft-full.json" ] || ml wise-ft --pretrained "$B" --finetuned "$R/sst2-full/model" --id "sst2:$D/sst2/dev.tsv" "${UCI[@]}" \
  --out "$R/wiseft-full" --json > "$R/eval/wiseft-full.json"
[ -s "$R/eval/wiseft-lora.json" ] || ml wise-ft --pretrained "$B" --adapter "$R/sst2-lora" --id "sst2:$D/sst2/dev.tsv" "${UCI[@]}" \
  --out "$R/wiseft-lora" --json > "$R/eval/wiseft-lora.json"

# 5. AG News, SST-5 and CFIMDB fine-tuned in full (the minllama comparison uses dev accuracy): a smaller budget,
#    120 updates of 16, to fit the session's time.
TASK=(--init "$B" --head zero-shot --steps 120 --batch-size 16 --warmup 10 --lr 1e-3 --backend wasm)
[ -d "$R/ag-full/model" ] || ml finetune "${TASK[@]}" --task "ag_news:$D/ag_news/train_sample5000_hf.csv" \
  --max-length 96 --out "$R/ag-full"
[ -s "$R/eval/ft-ag.json" ] || ml eval classify --model "$R/ag-full/model" --task "ag_news:$D/ag_news/test.csv" --limit 1000 --json > "$R/eval/ft-ag.json"
[ -d "$R/sst5-full/model" ] || ml finetune "${TASK[@]}" --task "minllama:$D/minllama-sst5-cfimdb/sst-train.txt" \
  --max-length 64 --out "$R/sst5-full"
[ -s "$R/eval/ft-sst5.json" ] || ml eval classify --model "$R/sst5-full/model" --task "minllama:$D/minllama-sst5-cfimdb/sst-dev.txt" --json \
  > "$R/eval/ft-sst5.json"
[ -d "$R/cfimdb-full/model" ] || ml finetune "${TASK[@]}" --task "minllama:$D/minllama-sst5-cfimdb/cfimdb-train.txt" \
  --max-length 128 --out "$R/cfimdb-full"
[ -s "$R/eval/ft-cfimdb.json" ] || ml eval classify --model "$R/cfimdb-full/model" --task "minllama:$D/minllama-sst5-cfimdb/cfimdb-dev.txt" --json \
  > "$R/eval/ft-cfimdb.json"
echo "done: $R/eval/*.json, $R/wiseft-*/report.html"
