import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveConfig } from '@mini-llama/model';
import { findPython, pythonSkipReason, temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { measureTorch, pythonCandidates, TORCH_MODULES, torchArguments, torchBenchScript } from './index.js';

const CONFIG = resolveConfig({ dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 64, maxSeqLen: 32 });
const SKIP = pythonSkipReason(TORCH_MODULES);

describe('the PyTorch yardstick', () => {
  it('ships torch_bench.py with the package', () => {
    expect(existsSync(torchBenchScript())).toBe(true);
  });

  it('passes the same batch, length, tokens and adapter as ours', () => {
    const request = { config: CONFIG, batch: 4, seqLen: 16, seconds: 2, newTokens: 9 };
    expect(torchArguments({ ...request, mode: 'train' })).toEqual([
      '--batch',
      '4',
      '--seq',
      '16',
      '--seconds',
      '2',
    ]);
    expect(torchArguments({ ...request, mode: 'lora', threads: 2 })).toEqual([
      ...['--batch', '4', '--seq', '16', '--seconds', '2'],
      ...['--lora-r', '8', '--lora-alpha', '16', '--lora-targets', 'q_proj,v_proj', '--threads', '2'],
    ]);
    expect(torchArguments({ ...request, mode: 'generate' })).toEqual(['--tokens', '9', '--seconds', '2']);
    expect(torchArguments({ ...request, mode: 'train', compile: true }).at(-1)).toBe('--compile');
    expect(() => torchArguments({ ...request, mode: 'generate', compile: true })).toThrow(
      'torch.compile is measured for training only',
    );
  });

  it('looks for MINI_LLAMA_PYTHON alone when set, else a .venv-peft above the working directory', async () => {
    expect(pythonCandidates({ MINI_LLAMA_PYTHON: '/opt/py' }, '/')).toEqual(['/opt/py']);
    const root = await temporaryDirectory();
    const venvPython = join(root, '.venv-peft', 'bin', 'python');
    await mkdir(join(root, '.venv-peft', 'bin'), { recursive: true });
    await writeFile(venvPython, '');
    await mkdir(join(root, 'packages', 'cli'), { recursive: true });
    const candidates = pythonCandidates({}, join(root, 'packages', 'cli'));
    expect(candidates[0]).toBe(venvPython);
    expect(candidates.at(-1)).toBe('python3');
  });

  it.skipIf(SKIP)(
    `measures each mode with transformers + peft${SKIP ? ` (skipped: ${SKIP})` : ''}`,
    async () => {
      const python = findPython(TORCH_MODULES)!;
      const request = { config: CONFIG, batch: 2, seqLen: 16, seconds: 0.05, newTokens: 4, threads: 1 };
      for (const mode of ['train', 'lora', 'generate'] as const) {
        const result = await measureTorch(python, { ...request, mode });
        expect(result.tokensPerSecond).toBeGreaterThan(0);
        expect(result.peakRssBytes).toBeGreaterThan(0);
        expect(result.threads).toBe(1);
        expect(result.torchVersion).toMatch(/^2\./);
      }
    },
    120_000,
  );

  it.skipIf(SKIP)(
    `measures training through torch.compile (inductor)${SKIP ? ` (skipped: ${SKIP})` : ''}`,
    async () => {
      const python = findPython(TORCH_MODULES)!;
      const request = { config: CONFIG, batch: 2, seqLen: 16, seconds: 0.05, newTokens: 4, threads: 1 };
      const result = await measureTorch(python, { ...request, mode: 'train', compile: true });
      expect(result.tokensPerSecond).toBeGreaterThan(0);
    },
    600_000,
  );

  it.skipIf(SKIP)(
    `names the mode and Python's last line when the yardstick fails${SKIP ? ` (skipped: ${SKIP})` : ''}`,
    async () => {
      const python = findPython(TORCH_MODULES)!;
      const request = {
        config: CONFIG,
        mode: 'train' as const,
        batch: 0,
        seqLen: 16,
        seconds: 0.05,
        newTokens: 4,
      };
      await expect(measureTorch(python, request)).rejects.toThrow(/torch_bench\.py train: .*Error/);
    },
    120_000,
  );
});
