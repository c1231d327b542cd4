import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CliIo } from './io.js';
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

export interface TorchPeer {
  python: string;
  script: string;
}

/** The PyTorch yardstick to run beside ours, or null (said why on stderr) when it cannot run here. */
export async function torchPeerToRun(
  flags: { torch?: boolean; torchScript?: string },
  io: CliIo,
): Promise<TorchPeer | null> {
  if (flags.torch === false) return null;
  const script = flags.torchScript ? resolve(io.cwd, flags.torchScript) : await findTorchScript(io.cwd);
  if (!script || !(await exists(script))) {
    io.stderr.write(`torch: skipped, ${script ?? 'torch_llama.py'} not found (pass --torch-script PATH)\n`);
    return null;
  }
  const python = pythonFor(io.env);
  if (!(await torchAvailable(python))) {
    io.stderr.write(`torch: skipped, ${python} cannot import torch (apt-get install python3-torch)\n`);
    return null;
  }
  return { python, script };
}

/** PyTorch's tokens/s for the preset and mode of `row`, or null (said why) when it failed. */
export async function measureTorch(
  { python, script }: TorchPeer,
  preset: string,
  row: { mode: 'train' | 'generate'; tokens: number },
  flags: { batch: number; seconds: number },
  io: CliIo,
): Promise<number | null> {
  const args =
    row.mode === 'train'
      ? ['train', '--config', preset, '--batch', String(flags.batch), '--seconds', String(flags.seconds)]
      : ['generate', '--config', preset, '--tokens', String(row.tokens)];
  io.stderr.write(`${preset}: PyTorch ${row.mode}…\n`);
  try {
    return (await runTorchPeer(python, script, args)).tokens_per_second;
  } catch (error) {
    io.stderr.write(`torch: ${(error as Error).message}\n`);
    return null;
  }
}
