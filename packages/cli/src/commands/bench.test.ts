import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliWithEnv, temporaryDirectory } from '../testing.js';
import type { BenchRow } from './bench.js';

/** A stand-in for python3 + torch_llama.py: it logs its arguments to calls.txt and prints fixed measurements. */
async function fakeTorch() {
  const directory = await temporaryDirectory();
  const calls = join(directory, 'calls.txt');
  const python = join(directory, 'python3');
  await writeFile(
    python,
    [
      '#!/bin/sh',
      'if [ "$1" = "-c" ]; then exit 0; fi', // `import torch` succeeds
      'shift', // the script path
      `echo "$@" >> '${calls}'`,
      'echo "loading..."',
      'if [ "$1" = train ]; then echo \'{"mode": "train", "tokens_per_second": 1000.0}\';',
      'else echo \'{"mode": "generate", "tokens_per_second": 50.0}\'; fi',
    ].join('\n'),
  );
  await chmod(python, 0o755);
  const script = join(directory, 'torch_llama.py');
  await writeFile(script, '');
  return { python, script, calls };
}

describe('mini-llama bench', () => {
  it('--json reports train and generate rows with equal tensor counts before and after', async () => {
    const run = await cli(
      'bench',
      '--presets',
      'stories260K',
      '--backends',
      'wasm',
      '--batch',
      '1',
      '--seconds',
      '0.1',
      '--json',
      '--no-torch',
    );
    expect(run.stderr).not.toMatch(/^mini-llama bench:/m);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as BenchRow[];
    expect(rows.map((row) => [row.preset, row.mode])).toEqual([
      ['stories260K', 'train'],
      ['stories260K', 'generate'],
    ]);
    const [train, generate] = rows as [BenchRow, BenchRow];
    expect(train.tokens % 512).toBe(0); // whole steps of batch 1 × the full context
    expect(train.tokens).toBeGreaterThanOrEqual(2 * 512); // at least two timed steps
    expect(generate.tokens).toBe(255); // min(255, 512 - 1), greedy, no EOS stop
    for (const row of rows) {
      expect(row.tokensPerSecond).toBeGreaterThan(0);
      expect(row.torchTokensPerSecond).toBeNull();
      expect(row.peakRssBytes).toBeGreaterThan(0);
      expect(row.tensorsAfter).toBe(row.tensorsBefore);
    }
  });

  it('runs the PyTorch peer with the same shapes and prints the ratio table', async () => {
    const { python, script, calls } = await fakeTorch();
    const env = { MINI_LLAMA_PYTHON: python };
    const args = [
      'bench',
      '--presets',
      'stories260K',
      '--backends',
      'wasm',
      '--batch',
      '1',
      '--seconds',
      '0.1',
      '--torch-script',
      script,
    ];
    const run = await cliWithEnv(env, ...args);
    expect(run.stderr).not.toMatch(/^mini-llama bench:/m);
    expect(run.code).toBe(0);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'train --config stories260K --batch 1 --seconds 0.1',
      'generate --config stories260K --tokens 255',
    ]);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^preset +mode +backend +ours tokens\/s +torch tokens\/s +ratio +peak RSS +tensors$/,
    );
    expect(lines[1]).toMatch(
      /^stories260K +train +wasm ×\d +[\d.]+ +1000\.0 +[\d.]+x +[\d.]+ [KMG]iB +(\d+) → \1$/,
    );
    expect(lines[2]).toMatch(/^stories260K +generate +wasm ×\d +[\d.]+ +50\.0 +[\d.]+x/);

    const json = await cliWithEnv(env, ...args, '--json');
    const rows = JSON.parse(json.stdout) as BenchRow[];
    for (const row of rows)
      expect(row.ratio).toBeCloseTo(row.tokensPerSecond / row.torchTokensPerSecond!, 10);
  });

  it('skips PyTorch with a message when the script is missing', async () => {
    const missing = join(await temporaryDirectory(), 'torch_llama.py');
    const run = await cli(
      'bench',
      '--presets',
      'stories260K',
      '--batch',
      '1',
      '--seconds',
      '0.1',
      '--torch-script',
      missing,
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`torch: skipped, ${missing} not found`);
    // no --backends: every backend available here but cpu, wasm among them
    expect(run.stderr).toMatch(/^backends: (.+, )?wasm(;.*)?; cpu only with --backends cpu$/m);
    expect((JSON.parse(run.stdout) as BenchRow[])[0]!.torchTokensPerSecond).toBeNull();
  });

  it('--modes generate measures generation only, on the wasm threads asked for', async () => {
    const run = await cli(
      'bench',
      '--presets',
      'stories260K',
      '--modes',
      'generate',
      '--backends',
      'wasm',
      '--threads',
      '1',
      '--json',
      '--no-torch',
    );
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as BenchRow[];
    expect(rows.map((row) => [row.mode, row.backend])).toEqual([['generate', 'wasm']]);
    // In this test process wasm may have started earlier with another count; the row says which ran.
    const [, running] = /backend: wasm on (\d+) threads?/.exec(run.stderr) ?? [];
    expect(rows[0]!.threads).toBe(Number(running));
  });

  it('--backends measures each backend named, with one PyTorch run per preset and mode for all of them', async () => {
    const { python, script, calls } = await fakeTorch();
    const run = await cliWithEnv(
      { MINI_LLAMA_PYTHON: python },
      'bench',
      '--presets',
      'stories260K',
      '--modes',
      'generate',
      '--backends',
      'wasm,cpu',
      '--torch-script',
      script,
      '--json',
    );
    expect(run.stderr).not.toMatch(/^mini-llama bench:/m);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as BenchRow[];
    expect(rows.map((row) => [row.mode, row.backend, row.torchTokensPerSecond])).toEqual([
      ['generate', 'wasm', 50],
      ['generate', 'cpu', 50],
    ]);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'generate --config stories260K --tokens 255',
    ]);
    for (const row of rows) expect(row.tensorsAfter).toBe(row.tensorsBefore);
  });

  it('rejects a thread count wasm cannot use and an unknown mode', async () => {
    expect((await cli('bench', '--threads', '0')).stderr).toMatch(
      /^mini-llama bench: --threads must be an integer from 1 to 8, got '0'/m,
    );
    expect((await cli('bench', '--modes', 'train,infer', '--no-torch')).stderr).toMatch(
      /^mini-llama bench: --modes: unknown mode 'infer', expected train, generate/m,
    );
  });

  it('rejects an unknown backend', async () => {
    const run = await cli('bench', '--backends', 'wasm,tpu', '--no-torch');
    expect(run.stderr).toMatch(
      /^mini-llama bench: --backends: unknown backend 'tpu', expected some of tensorflow, webgpu, wasm, cpu/m,
    );
  });

  it('rejects an unknown preset', async () => {
    const run = await cli('bench', '--presets', 'stories260K,gpt5', '--no-torch');
    expect(run.stderr).toMatch(/^mini-llama bench: --presets: unknown preset 'gpt5'/);
  });
});
