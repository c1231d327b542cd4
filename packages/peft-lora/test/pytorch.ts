// Runs the PyTorch reference (test/fixtures/generate_fixtures.py check …) on adapters this package writes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('fixtures/generate_fixtures.py', import.meta.url));

export const haveTorch =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;

/** A describe title that says why it is skipped when PyTorch cannot be run. */
export function needsTorch(title: string): string {
  return haveTorch ? title : `${title} (skipped: ${PYTHON} cannot import torch and numpy)`;
}

export interface PythonCheck {
  ok: boolean;
  logits: number[];
  shape: number[];
  error: string; // the script's stderr when it rejected the adapter
}

/** PEFT-style validation of an adapter directory and the logits of the base model with it applied. */
export function checkWithPytorch(base: string, adapter: string, tokens: number[][]): PythonCheck {
  const run = spawnSync(
    PYTHON,
    [SCRIPT, 'check', '--base', base, '--adapter', adapter, '--tokens', JSON.stringify(tokens)],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.status !== 0) return { ok: false, logits: [], shape: [], error: run.stderr.trim() };
  const { logits, shape } = JSON.parse(run.stdout) as { logits: number[]; shape: number[] };
  return { ok: true, logits, shape, error: '' };
}
