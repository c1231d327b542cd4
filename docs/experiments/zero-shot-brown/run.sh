#!/usr/bin/env bash
# What makes the demo's zero-shot classifier work (docs/results.md, "How the zero-shot model is made"): the
# study's choice against the same model with plain label names, without centring, and reading the passage's
# next word instead of the next paragraph's. Needs a finished `pnpm mini-llama demo` (runs/demo); from a clone,
# nothing from ../shared. About 3 minutes on 2 cores. Results go to runs/zero-shot-brown/ (not committed);
# `node docs/experiments/zero-shot-brown/summarize.mjs` prints the table.
set -euo pipefail
S=runs/demo
R=runs/zero-shot-brown
ml() { pnpm --silent mini-llama "$@"; } # builds what changed, then runs the CLI
[ -d "$S/pretrain/model" ] || { echo "run 'pnpm mini-llama demo' first ($S/pretrain/model is missing)" >&2; exit 1; }
mkdir -p "$R"
# the Brown topics' label words, as the study uses them (BROWN_TOPIC_LABEL_WORDS; read where the package resolves)
(cd packages/study && node --input-type=module -e "
  import { BROWN_TOPIC_LABEL_WORDS as words } from '@mini-llama/data';
  const trimmed = Object.fromEntries(Object.entries(words).map(([label, list]) => [label, list.map((w) => w.trim())]));
  console.log(JSON.stringify(trimmed));") > "$R/label-words.json"
TASK=(--task "tsv:$S/data/train.tsv")
EVAL=(--task "tsv:$S/data/test.tsv" --ood "tsv:$S/data/ood.tsv" --json)
variant() { # NAME, then zero-shot flags
  local name=$1
  shift
  [ -s "$R/$name.json" ] && return
  ml zero-shot --model "$S/pretrain/model" "${TASK[@]}" "$@" --out "$R/$name"
  ml eval classify --model "$R/$name" "${EVAL[@]}" > "$R/$name.json"
}
variant words-centred --label-words "$R/label-words.json" --template $'{text}\n'
variant words-plain --label-words "$R/label-words.json" --template $'{text}\n' --no-centre
variant names-centred --template $'{text}\n'
variant names-plain --template $'{text}\n' --no-centre
variant words-centred-next-word --label-words "$R/label-words.json" --template '{text}'
variant names-label-prompt --template $'{text}\nLabel:' --no-centre
