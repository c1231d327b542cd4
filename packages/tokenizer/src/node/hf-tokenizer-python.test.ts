import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findPython, pythonSkipReason, skipNote } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from './load-tokenizer.js';

// The byte-level tokenizers against the Python tokenizers library itself, on the real texts of ../shared/data
// (TinyStories, SST-2, AG News): every id equal. Needs a Python that imports `tokenizers` (the venv of
// scripts/peft-venv.sh, MINI_LLAMA_PEFT_PYTHON, or the system's) and the shared data.
const SCRIPT = fileURLToPath(new URL('../../test/fixtures/encode_with_tokenizers.py', import.meta.url));
const SHARED = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));
const python = findPython(['tokenizers']);
const haveShared = existsSync(`${SHARED}tinystories`) && existsSync(`${SHARED}sst2`);
const skip = skipNote(
  pythonSkipReason(['tokenizers']) ?? (haveShared ? null : '../shared/data/tinystories and sst2 are absent'),
);

function sharedTexts(): string[] {
  const stories = readFileSync(`${SHARED}tinystories/tinystories_v1_train_first1000.txt`, 'utf8')
    .split('\n\n')
    .filter((story) => story.trim() !== '')
    .slice(0, 400);
  const reviews = readFileSync(`${SHARED}sst2/dev.tsv`, 'utf8')
    .split('\n')
    .slice(1, 500)
    .map((line) => line.split('\t')[0]!)
    .filter(Boolean);
  const news = existsSync(`${SHARED}ag_news/test.csv`)
    ? readFileSync(`${SHARED}ag_news/test.csv`, 'utf8').split('\n').slice(0, 400)
    : [];
  return [...stories, ...reviews, ...news];
}

describe.skipIf(skip !== '')(
  `byte-level BPE ids equal the Python tokenizers library on shared data${skip}`,
  () => {
    it.each(['llama3', 'qwen2_5', 'gpt2'])('%s', async (name) => {
      const file = fileURLToPath(
        new URL(`../../node_modules/@lenml/tokenizer-${name}/models/tokenizer.json`, import.meta.url),
      );
      const texts = sharedTexts();
      const run = spawnSync(python!, [SCRIPT], {
        input: JSON.stringify({ tokenizer: file, texts }),
        maxBuffer: 1 << 28,
      });
      expect(run.status, run.stderr.toString()).toBe(0);
      const expected = JSON.parse(run.stdout.toString()) as number[][];
      const tokenizer = await loadTokenizer(file);
      const differing = texts.filter(
        (text, i) => JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(expected[i]),
      );
      expect(differing.slice(0, 3)).toEqual([]);
      expect(expected.flat().length).toBeGreaterThan(50_000);
    });
  },
);
