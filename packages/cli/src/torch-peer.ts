import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exists, findRepoRoot } from './paths.js';

const run = promisify(execFile);

/**
 * The Python that runs the PyTorch yardstick: MINI_LLAMA_PYTHON if set, else Debian's (where python3-torch
 * installs), else the one on PATH.
 */
export function pythonFor(env: Record<string, string | undefined>): string {
  return env['MINI_LLAMA_PYTHON'] || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Whether `python` can `import torch`. */
export async function torchAvailable(python: string): Promise<boolean> {
  return run(python, ['-c', 'import torch'], { timeout: 60_000 }).then(
    () => true,
    () => false,
  );
}

/**
 * shared/peers/torch_llama.py, which lives beside the repository (`<repo>/../shared/peers`). The repository
 * root is found by walking up to pnpm-workspace.yaml from the working directory, then from this module.
 */
export async function findTorchScript(cwd: string): Promise<string | null> {
  const starts = [cwd, dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    const root = await findRepoRoot(start);
    if (!root) continue;
    const script = resolve(root, '..', 'shared', 'peers', 'torch_llama.py');
    if (await exists(script)) return script;
  }
  return null;
}

export interface TorchMeasurement {
  tokens_per_second: number;
  [field: string]: unknown;
}

/** Runs one torch_llama.py measurement and returns its JSON line. */
export async function runTorchPeer(
  python: string,
  script: string,
  args: string[],
): Promise<TorchMeasurement> {
  let stdout: string;
  try {
    ({ stdout } = await run(python, [script, ...args], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    const reason = stderr?.trim().split('\n').at(-1) ?? message;
    throw new Error(`${script} ${args.join(' ')} failed: ${reason}`);
  }
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((text) => text.trim().startsWith('{'));
  const parsed = line ? (JSON.parse(line) as Partial<TorchMeasurement>) : undefined;
  if (typeof parsed?.tokens_per_second !== 'number') {
    throw new Error(`${script} ${args.join(' ')} printed no JSON line with tokens_per_second`);
  }
  return parsed as TorchMeasurement;
}
