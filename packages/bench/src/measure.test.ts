import { useBackend } from '@mini-llama/backends';
import { presetConfig, resolveConfig } from '@mini-llama/model';
import { describe, expect, it } from 'vitest';
import { measureShape } from './index.js';

const CONFIG = resolveConfig({ dim: 16, nLayers: 2, nHeads: 2, nKvHeads: 1, vocabSize: 32, maxSeqLen: 16 });

describe('measureShape', () => {
  it('measures training, LoRA and generation in that order, sampling memory, and leaves no tensor behind', async () => {
    await useBackend('cpu');
    let samples = 0;
    const memory = { sample: () => void samples++, take: () => samples };
    const lines: string[] = [];
    const rows = await measureShape({
      name: 'tiny',
      config: CONFIG,
      modes: ['generate', 'lora', 'train'], // generation is measured last whatever the order asked
      batch: 2,
      seqLen: 8,
      seconds: 0.01,
      newTokens: 5,
      backend: { name: 'cpu', threads: null },
      memory,
      onMessage: (line) => lines.push(line),
    });
    expect(rows.map((row) => row.mode)).toEqual(['lora', 'train', 'generate']);
    const [lora, train, generate] = rows;
    for (const row of [lora!, train!]) {
      expect([row.batch, row.seqLen, row.tokens % 16]).toEqual([2, 8, 0]);
      expect(row.tokens).toBeGreaterThanOrEqual(2 * 16); // at least two timed steps
    }
    expect([generate!.batch, generate!.seqLen, generate!.newTokens]).toEqual([1, 1, 5]);
    expect(generate!.tokens % 5).toBe(0);
    expect(generate!.tokens).toBeGreaterThanOrEqual(2 * 5); // at least two timed runs
    for (const row of rows) {
      expect(row.tokensPerSecond).toBeGreaterThan(0);
      expect(row.peakRssBytes).toBeGreaterThan(0);
      expect(row.tensorsAfter).toBe(row.tensorsBefore);
      expect([row.preset, row.backend, row.threads]).toEqual(['tiny', 'cpu', null]);
    }
    expect(lines).toContain('tiny: LoRA r=8 on 4 modules, batch 2 × 8 tokens, 0.01 s…');
    expect(lines).toContain('tiny: generating 5 tokens (greedy, KV cache)…');
  });

  it('refuses a sequence longer than the context', async () => {
    await useBackend('cpu');
    const options = { name: 'tiny', config: CONFIG, modes: ['train'] as const, batch: 1, seconds: 0.01 };
    await expect(
      measureShape({ ...options, seqLen: 17, backend: { name: 'cpu', threads: null } }),
    ).rejects.toThrow('measureShape: seqLen must be from 1 to 16, got 17');
  });
});

describe('measureShape on a backend that cannot hold the shape', () => {
  it('says so before building the model', async () => {
    await useBackend('wasm');
    const started = performance.now();
    await expect(
      measureShape({
        name: 'TinyLlama-1.1B',
        config: presetConfig('TinyLlama-1.1B', { nLayers: 40 }),
        modes: ['generate'],
        batch: 1,
        seqLen: 8,
        seconds: 1,
        backend: { name: 'wasm', threads: 1 },
      }),
    ).rejects.toThrow(
      /^TinyLlama-1\.1B: 1,\d{3},\d{3},\d{3} parameters need \d+\.\d GiB in float32, more than the 4\.0 GiB the wasm backend can address/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
