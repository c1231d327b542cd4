// Runs the real Hugging Face `peft` library (test/fixtures/peft_library.py check …) on adapters this package
// writes, with the Python test-utils' findPython finds (MINI_LLAMA_PEFT_PYTHON, the repository's .venv-peft, or
// /usr/bin/python3, whichever imports peft).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findPython } from '@mini-llama/test-utils';

const SCRIPT = fileURLToPath(new URL('fixtures/peft_library.py', import.meta.url));
/** A Python that has torch, transformers and peft, or null. */
export const peftPython: string | null = findPython(['torch', 'transformers', 'peft']);

/** A describe title that says why it is skipped when no Python with peft is found. */
export function needsPeft(title: string): string {
  return peftPython
    ? title
    : `${title} (skipped: no Python with torch, transformers and peft; run scripts/peft-venv.sh or set MINI_LLAMA_PEFT_PYTHON)`;
}

export interface PeftCheck {
  ok: boolean;
  logits: number[];
  shape: number[];
  error: string; // peft's complaint (stderr) when it rejected the adapter
}

/** Loads `adapter` onto the transformers Llama in `base` with PeftModel.from_pretrained; its logits. */
export function checkWithPeft(base: string, adapter: string, tokens: number[][]): PeftCheck {
  if (!peftPython) throw new Error('checkWithPeft: no Python with peft (see needsPeft)');
  const run = spawnSync(
    peftPython,
    [SCRIPT, 'check', '--base', base, '--adapter', adapter, '--tokens', JSON.stringify(tokens)],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.status !== 0) return { ok: false, logits: [], shape: [], error: run.stderr.trim() };
  const { logits, shape } = JSON.parse(run.stdout) as { logits: number[]; shape: number[] };
  return { ok: true, logits, shape, error: '' };
}
