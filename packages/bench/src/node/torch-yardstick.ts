import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hfJsonFromConfig, type LlamaConfig } from '@mini-llama/formats';
import type { BenchMode } from '../bench-row.js';
import { BENCH_LORA } from '../measure.js';

const run = promisify(execFile);

/** The modules the yardstick imports. */
export const TORCH_MODULES = ['torch', 'transformers', 'peft'] as const;

/** python/torch_bench.py, shipped with this package (found from src/node and from dist/node). */
export function torchBenchScript(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const script = join(directory, 'python', 'torch_bench.py');
    if (existsSync(script)) return script;
    directory = dirname(directory);
  }
  throw new Error('torch_bench.py is missing from @mini-llama/bench (python/torch_bench.py)');
}

/**
 * The Pythons to try, in order: MINI_LLAMA_PYTHON, the repository's venv (`scripts/peft-venv.sh` makes
 * `.venv-peft` at the root, found by walking up from `cwd`), Debian's python3, the one on PATH.
 */
export function pythonCandidates(env: Record<string, string | undefined>, cwd: string): string[] {
  const found: string[] = [];
  if (env['MINI_LLAMA_PYTHON']) return [env['MINI_LLAMA_PYTHON']];
  for (let directory = resolve(cwd); ; directory = dirname(directory)) {
    const venv = join(directory, '.venv-peft', 'bin', 'python');
    if (existsSync(venv)) found.push(venv);
    if (dirname(directory) === directory) break;
  }
  if (existsSync('/usr/bin/python3')) found.push('/usr/bin/python3');
  found.push('python3');
  return [...new Set(found)];
}

/** The first candidate that imports torch, transformers and peft; else null and why. */
export async function findTorchPython(
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<{ python: string } | { python: null; reason: string }> {
  const candidates = pythonCandidates(env, cwd);
  for (const python of candidates) {
    const imports = `import ${TORCH_MODULES.join(', ')}`;
    const ok = await run(python, ['-c', imports], { timeout: 120_000 }).then(
      () => true,
      () => false,
    );
    if (ok) return { python };
  }
  return {
    python: null,
    reason: `no Python imports ${TORCH_MODULES.join(', ')} (tried ${candidates.join(', ')}; run scripts/peft-venv.sh or set MINI_LLAMA_PYTHON)`,
  };
}

export interface TorchRequest {
  config: LlamaConfig;
  mode: BenchMode;
  batch: number;
  seqLen: number;
  seconds: number;
  /** Generation: new tokens. */
  newTokens: number;
  /** torch.set_num_threads (default: every core). */
  threads?: number;
  /** Training: the forward through torch.compile (inductor). */
  compile?: boolean;
}

export interface TorchResult {
  tokensPerSecond: number;
  peakRssBytes: number;
  torchVersion: string;
  threads: number;
}

/** The yardstick's arguments for a request (after the mode and the model folder). */
export function torchArguments(request: TorchRequest): string[] {
  const args =
    request.mode === 'generate'
      ? ['--tokens', String(request.newTokens), '--seconds', String(request.seconds)]
      : [
          '--batch',
          String(request.batch),
          '--seq',
          String(request.seqLen),
          '--seconds',
          String(request.seconds),
        ];
  if (request.mode === 'lora') {
    args.push('--lora-r', String(BENCH_LORA.r), '--lora-alpha', String(BENCH_LORA.alpha));
    args.push('--lora-targets', BENCH_LORA.targetModules.join(','));
  }
  if (request.threads !== undefined) args.push('--threads', String(request.threads));
  if (request.compile) {
    if (request.mode === 'generate')
      throw new Error('torch.compile is measured for training only (train, lora)');
    args.push('--compile');
  }
  return args;
}

/**
 * Runs python/torch_bench.py on a model of `request.config`'s shape (its config.json written by
 * hfJsonFromConfig into a temporary folder) and returns its measurement.
 */
export async function measureTorch(
  python: string,
  request: TorchRequest,
  script = torchBenchScript(),
): Promise<TorchResult> {
  const folder = await mkdtemp(join(tmpdir(), 'mini-llama-torch-'));
  try {
    await writeFile(join(folder, 'config.json'), JSON.stringify(hfJsonFromConfig(request.config)));
    const args = [script, request.mode, '--model-dir', folder, ...torchArguments(request)];
    let stdout: string;
    try {
      ({ stdout } = await run(python, args, { maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(
        `${python} torch_bench.py ${request.mode}: ${stderr?.trim().split('\n').at(-1) ?? message}`,
      );
    }
    const line = stdout
      .trim()
      .split('\n')
      .reverse()
      .find((text) => text.trim().startsWith('{'));
    const parsed = line ? (JSON.parse(line) as Record<string, unknown>) : {};
    if (typeof parsed.tokens_per_second !== 'number') {
      throw new Error(`torch_bench.py ${request.mode} printed no JSON line with tokens_per_second`);
    }
    return {
      tokensPerSecond: parsed.tokens_per_second,
      peakRssBytes: Number(parsed.peak_rss_bytes ?? 0),
      torchVersion: String(parsed.torch_version ?? 'unknown'),
      threads: Number(parsed.threads ?? 0),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
