#!/usr/bin/env bash
# Zero-shot sentiment from a base that has read reviews (docs/results.md, "Zero-shot sentiment from a base that
# has read reviews"): the study's zero-shot classifier (each sentence and a line break, 15 words per sentiment,
# SENTIMENT_LABEL_WORDS, centred on unlabelled SST-2 training sentences) made from docs/experiments/minllama-tasks'
# base, and evaluated on SST-2 dev in domain and on the three UCI sets and CFIMDB's dev reviews out of domain.
# No label of any set is read before the evaluation. Needs minllama-tasks' base (BASE=…, default
# runs/minllama/base/model); the data as in the other scripts (reference-data.sh). A few minutes on 2 cores.
# Results go to runs/zero-shot-sentiment/ (RUNS=…; not committed); summarize.mjs prints the table.
set -euo pipefail
source docs/experiments/reference-data.sh
BASE=${BASE:-runs/minllama/base/model}
R=${RUNS:-runs/zero-shot-sentiment}
ml() { pnpm --silent mini-llama "$@"; } # builds what changed, then runs the CLI
[ -d "$BASE" ] || { echo "no base at $BASE: run docs/experiments/minllama-tasks/run.sh first, or set BASE" >&2; exit 1; }
mkdir -p "$R"
# the sentiment label words, as the study uses them (read where the package resolves)
[ -s "$R/label-words.json" ] || (cd packages/study && node --input-type=module -e "
  import { SENTIMENT_LABEL_WORDS as words } from '@mini-llama/data';
  const trimmed = Object.fromEntries(Object.entries(words).map(([label, list]) => [label, list.map((w) => w.trim())]));
  console.log(JSON.stringify(trimmed));") > "$R/label-words.json"
# the texts the head is centred on: the first 3,200 SST-2 training sentences (their labels are not read)
[ -s "$R/sst2-centre.tsv" ] || head -n 3201 "$D/sst2/train.tsv" > "$R/sst2-centre.tsv"
# CFIMDB labels its reviews bad / good: the same classes under the names SST-2 uses, as a JSONL set
[ -s "$R/cfimdb-dev.jsonl" ] ||
  node docs/experiments/cfimdb-sentiment-jsonl.mjs "$D/minllama-sst5-cfimdb/cfimdb-dev.txt" > "$R/cfimdb-dev.jsonl"
EVAL=(--task "sst2:$D/sst2/dev.tsv" --ood "uci:$D/uci-sentiment/amazon_cells_labelled.txt"
  --ood "uci:$D/uci-sentiment/imdb_labelled.txt" --ood "uci:$D/uci-sentiment/yelp_labelled.txt"
  --ood "jsonl:$R/cfimdb-dev.jsonl" --backend tensorflow --json)
variant() { # NAME, then zero-shot flags
  local name=$1
  shift
  [ -s "$R/$name.json" ] && return
  ml zero-shot --model "$BASE" --task "sst2:$R/sst2-centre.tsv" "$@" --backend tensorflow --out "$R/$name"
  ml eval classify --model "$R/$name" "${EVAL[@]}" > "$R/$name.json.partial"
  mv "$R/$name.json.partial" "$R/$name.json"
}
variant words-centred --label-words "$R/label-words.json" --template $'{text}\n'
variant words-plain --label-words "$R/label-words.json" --template $'{text}\n' --no-centre
variant words-centred-next-word --label-words "$R/label-words.json" --template '{text}'
# Zhao et al. 2021's prompt ("Review: {text}\nSentiment:", then " negative" / " positive"), scored by the language
# model and calibrated against the content-free input "N/A" (eval classify --zero-shot --calibrate)
[ -s "$R/prompt-calibrated.json" ] || {
  ml eval classify --model "$BASE" --zero-shot --calibrate "${EVAL[@]}" > "$R/prompt-calibrated.json.partial"
  mv "$R/prompt-calibrated.json.partial" "$R/prompt-calibrated.json"
}
# The study's head, but each shifted set's own texts to centre on (unlabelled; transductive): does the head fail
# out of domain because SST-2's mean hidden state is the wrong centre there?
own_centre() { # NAME TASKSPEC
  local name=$1 spec=$2
  [ -s "$R/own-centre-$name.json" ] && return
  ml zero-shot --model "$BASE" --task "sst2:$R/sst2-centre.tsv" --centre-on "$spec" \
    --label-words "$R/label-words.json" --template $'{text}\n' --backend tensorflow --out "$R/own-centre-$name"
  ml eval classify --model "$R/own-centre-$name" --task "$spec" --backend tensorflow --json > "$R/own-centre-$name.json.partial"
  mv "$R/own-centre-$name.json.partial" "$R/own-centre-$name.json"
}
own_centre amazon "uci:$D/uci-sentiment/amazon_cells_labelled.txt"
own_centre imdb "uci:$D/uci-sentiment/imdb_labelled.txt"
own_centre yelp "uci:$D/uci-sentiment/yelp_labelled.txt"
own_centre cfimdb "jsonl:$R/cfimdb-dev.jsonl"
node docs/experiments/zero-shot-sentiment/summarize.mjs "$R"
