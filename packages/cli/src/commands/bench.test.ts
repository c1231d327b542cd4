import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliWithEnv, temporaryDirectory } from '../../test/cli-harness.js';
import type { BenchRow } from './bench.js';

/**
 * A stand-in for a Python with torch, transformers and peft running torch_bench.py: it logs its arguments after
 * the script (the model folder's temporary path as MODEL) to calls.txt and prints fixed measurements.
 */
async function fakeTorch() {
  const directory = await temporaryDirectory();
  const calls = join(directory, 'calls.txt');
  const python = join(directory, 'python3');
  await writeFile(
    python,
    [
      '#!/bin/sh',
      'if [ "$1" = "-c" ]; then exit 0; fi', // the imports succeed
      'shift', // the script path
      'mode="$1"; shift; shift; shift', // the mode, --model-dir and its folder
      `echo "$mode $@" >> '${calls}'`,
      'echo "loading..."',
      'if [ "$mode" = generate ]; then echo \'{"tokens_per_second": 50.0, "peak_rss_bytes": 1048576}\';',
      'else echo \'{"tokens_per_second": 1000.0, "peak_rss_bytes": 2097152}\'; fi',
    ].join('\n'),
  );
  await chmod(python, 0o755);
  return { python, calls };
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
    expect(generate.newTokens).toBe(255); // min(255, 512 - 1), greedy, no EOS stop
    expect(generate.tokens % 255).toBe(0);
    expect(generate.tokens).toBeGreaterThanOrEqual(2 * 255); // at least two timed runs
    for (const row of rows) {
      expect(row.tokensPerSecond).toBeGreaterThan(0);
      expect(row.torchTokensPerSecond).toBeNull();
      expect(row.peakRssBytes).toBeGreaterThan(0);
      expect(row.tensorsAfter).toBe(row.tensorsBefore);
    }
  });

  it('--modes lora trains a rank-8 adapter on q and v and leaves no tensor behind', async () => {
    const run = await cli(
      'bench',
      ...['--presets', 'stories260K', '--modes', 'lora', '--backends', 'wasm'],
      ...['--batch', '2', '--seq', '64', '--seconds', '0.1', '--json', '--no-torch'],
    );
    expect(run.stderr).not.toMatch(/^mini-llama bench:/m);
    expect(run.stderr).toContain('stories260K: LoRA r=8 on 10 modules, batch 2 × 64 tokens');
    const [row] = JSON.parse(run.stdout) as BenchRow[];
    expect([row!.mode, row!.batch, row!.seqLen, row!.tokens % 128]).toEqual(['lora', 2, 64, 0]);
    expect(row!.tensorsAfter).toBe(row!.tensorsBefore);
  });

  it('runs the PyTorch peer with the same shapes and prints the ratio table', async () => {
    const { python, calls } = await fakeTorch();
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
      '--torch-threads',
      '2',
      '--torch-compile',
      '--no-run-c',
    ];
    const run = await cliWithEnv(env, ...args);
    expect(run.stderr).not.toMatch(/^mini-llama bench:/m);
    expect(run.code).toBe(0);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'train --batch 1 --seq 512 --seconds 0.1 --threads 2',
      'train --batch 1 --seq 512 --seconds 0.1 --threads 2 --compile', // training only: torch.compile too
      'generate --tokens 255 --seconds 0.1 --threads 2',
    ]);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^preset +mode +backend +shape +ours tokens\/s +torch tokens\/s +ratio +peak RSS +torch RSS +torch\.compile +run\.c 1 thread +run\.c OpenMP +vs run\.c +tensors$/,
    );
    expect(lines[1]).toMatch(
      /^stories260K +train +wasm ×\d +1 × 512 +[\d.]+ +1000\.0 +[\d.]+x +[\d.]+ [KMG]iB +2\.00 MiB +1000\.0 +- +- +- +(\d+) → \1$/,
    );
    expect(lines[2]).toMatch(/^stories260K +generate +wasm ×\d +255 new +[\d.]+ +50\.0 +[\d.]+x/);
    expect(lines.at(-1)).toMatch(/^machine: .+, \d+ cores \(\w+\), [\d.]+ GiB; CPU features: /);

    const json = await cliWithEnv(env, ...args, '--json');
    const rows = JSON.parse(json.stdout) as BenchRow[];
    for (const row of rows)
      expect(row.ratio).toBeCloseTo(row.tokensPerSecond / row.torchTokensPerSecond!, 10);
  });

  // llama2.c's run.c (MIT) is a peer of the repository, not part of it: measured where it is found
  const runC = join(import.meta.dirname, '../../../../../shared/peers/llama2c/run.c');
  it.skipIf(!existsSync(runC))(
    `--run-c builds run.c (-O3; -O3 -fopenmp) and puts its tokens/s beside generation${existsSync(runC) ? '' : ' (skipped: ../shared/peers/llama2c/run.c is absent)'}`,
    async () => {
      const args = ['--presets', 'stories260K', '--modes', 'generate', '--backends', 'wasm', '--no-torch'];
      const run = await cli('bench', ...args, '--generate-threads', '1', '--run-c', runC, '--json');
      expect(run.stderr).not.toMatch(/^mini-llama bench:/m);
      expect(run.code).toBe(0);
      const [row] = JSON.parse(run.stdout) as BenchRow[];
      expect(row!.runC!.single).toBeGreaterThan(0);
      expect(row!.runC!.openmp).toBeGreaterThan(0);
      expect(row!.runC!.openmpThreads).toBe(cpus().length);
      // ours ran on one thread: compared with run.c's one-thread build
      expect(row!.runC!.ratio).toBeCloseTo(row!.tokensPerSecond / row!.runC!.single!, 10);

      const skipped = await cliWithEnv({ MINI_LLAMA_RUN_C: '' }, 'bench', ...args, '--seconds', '0.1');
      expect(skipped.stderr).toContain("run.c: skipped, give --run-c PATH (llama2.c's run.c");
    },
    300_000,
  );

  it('skips PyTorch with a message when no Python imports torch, transformers and peft', async () => {
    const missing = join(await temporaryDirectory(), 'python3');
    const run = await cliWithEnv(
      { MINI_LLAMA_PYTHON: missing },
      'bench',
      '--presets',
      'stories260K',
      '--batch',
      '1',
      '--seconds',
      '0.1',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `torch: skipped, no Python imports torch, transformers, peft (tried ${missing}; run scripts/peft-venv.sh or set MINI_LLAMA_PYTHON)`,
    );
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
    const { python, calls } = await fakeTorch();
    const run = await cliWithEnv(
      { MINI_LLAMA_PYTHON: python },
      'bench',
      '--presets',
      'stories260K',
      '--modes',
      'generate',
      '--backends',
      'wasm,cpu',
      '--seconds',
      '0.1',
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
      `generate --tokens 255 --seconds 0.1 --threads ${cpus().length}`,
    ]);
    for (const row of rows) expect(row.tensorsAfter).toBe(row.tensorsBefore);
  });

  it('rejects a thread count wasm cannot use and an unknown mode', async () => {
    expect((await cli('bench', '--threads', '0')).stderr).toMatch(
      /^mini-llama bench: --threads must be an integer from 1 to 8, got '0'/m,
    );
    expect((await cli('bench', '--modes', 'train,infer', '--no-torch')).stderr).toMatch(
      /^mini-llama bench: --modes: unknown mode 'infer', expected train, lora, generate/m,
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
