#!/usr/bin/env bash
# The study on AG News topics (docs/results.md, "The study on AG News"): the demo's pretrained model (run
# `pnpm mini-llama demo` first), AG News's training sample and test set, 3 seeds and intervals. Reads
# ag_news/{train_sample5000_hf.csv,test.csv} from the reference data (../shared/data, DATA=…, or else
# `mini-llama data get reference`: reference-data.sh). About 15 minutes on 2 cores. Results: runs/study-ag-news/report.{html,json}.
set -euo pipefail
source docs/experiments/reference-data.sh
[ -d runs/demo/pretrain/model ] || { echo "run 'pnpm mini-llama demo' first (runs/demo/pretrain/model)" >&2; exit 1; }
pnpm --silent mini-llama demo --base runs/demo/pretrain/model --task ag_news --data "$D/ag_news" \
  --out runs/study-ag-news
