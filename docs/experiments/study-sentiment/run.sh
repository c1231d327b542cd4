#!/usr/bin/env bash
# The study on sentiment (docs/results.md, "The study on sentiment, four shifted sets"): the demo's pretrained
# model (run `pnpm mini-llama demo` first), SST-2 in domain, and four sets out of domain — the three UCI sentiment
# sets (Amazon, IMDb, Yelp sentences) and CFIMDB's dev reviews — with 3 seeds and intervals. Reads the reference
# data (SST-2 as GLUE TSVs, the UCI sentiment sets, CFIMDB) from ../shared/data, DATA=…, or else what `mini-llama
# data get reference` fetches (reference-data.sh). About 13 minutes on 2 cores.
# Results: runs/study-sentiment/study/report.{html,json}.
set -euo pipefail
source docs/experiments/reference-data.sh
R=runs/study-sentiment
ml() { pnpm --silent mini-llama "$@"; } # builds what changed, then runs the CLI
[ -d runs/demo/pretrain/model ] || { echo "run 'pnpm mini-llama demo' first (runs/demo/pretrain/model)" >&2; exit 1; }
mkdir -p "$R"
# CFIMDB labels its reviews bad / good: the same classes under the names SST-2 uses, as a JSONL set
[ -s "$R/cfimdb-dev.jsonl" ] ||
  node docs/experiments/cfimdb-sentiment-jsonl.mjs "$D/minllama-sst5-cfimdb/cfimdb-dev.txt" > "$R/cfimdb-dev.jsonl"
ml demo --base runs/demo/pretrain/model --task sst2 --data "$D/sst2" \
  --ood "uci:$D/uci-sentiment/amazon_cells_labelled.txt" --ood "uci:$D/uci-sentiment/imdb_labelled.txt" \
  --ood "uci:$D/uci-sentiment/yelp_labelled.txt" --ood "jsonl:$R/cfimdb-dev.jsonl" --out "$R/study"
