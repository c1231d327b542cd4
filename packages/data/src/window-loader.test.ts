import { describe, expect, it } from 'vitest';
import type { LanguageModelBatch as TokenBatch } from './token-batch.js';
import { InMemoryTokenSource } from './token-source.js';
import { WindowLoader, type WindowLoaderOptions, windowCount } from './window-loader.js';

/** A stream whose token at position i is i, so every batch shows where it was read from. */
const positions = (n: number) => new InMemoryTokenSource(Int32Array.from({ length: n }, (_, i) => i));

/** llama2.c's PretokDataset.__iter__ for one shard, transcribed: the reference for window contents. */
function llama2cWindows(m: Int32Array, maxSeqLen: number): { x: number[]; y: number[] }[] {
  const numBatches = Math.floor(m.length / maxSeqLen) - 1; // "drop the last partial batch"
  const windows = [];
  for (let ix = 0; ix < numBatches; ix++) {
    const start = ix * maxSeqLen;
    const chunk = [...m.slice(start, start + maxSeqLen + 1)];
    windows.push({ x: chunk.slice(0, -1), y: chunk.slice(1) });
  }
  return windows;
}

function rows(batch: TokenBatch): { x: number[]; y: number[] }[] {
  const { batchSize: B, seqLen: T } = batch;
  return Array.from({ length: B }, (_, b) => ({
    x: [...batch.inputs.subarray(b * T, b * T + T)],
    y: [...batch.targets.subarray(b * T, b * T + T)],
  }));
}

async function take(loader: WindowLoader, count: number): Promise<TokenBatch[]> {
  const batches = [];
  for (let i = 0; i < count; i++) batches.push(await loader.next());
  return batches;
}

describe('windowCount', () => {
  it('counts every full window of T + 1 tokens at stride T', () => {
    expect(windowCount(10, 4)).toBe(2); // [0..4], [4..8]; token 9 fills no window
    expect(windowCount(9, 4)).toBe(2); // [0..4], [4..8] exactly
    expect(windowCount(8, 4)).toBe(1);
    expect(windowCount(4, 4)).toBe(0);
  });
});

describe('WindowLoader, sequential', () => {
  it("gives llama2.c's windows, in file order (and the one full window llama2.c drops)", async () => {
    const tokens = Int32Array.from({ length: 101 }, (_, i) => (i * 7919) % 1000);
    const loader = new WindowLoader(new InMemoryTokenSource(tokens), { batchSize: 1, seqLen: 10 });
    expect(loader.windowCount).toBe(10);
    const reference = llama2cWindows(tokens, 10);
    expect(reference).toHaveLength(9);
    const ours = (await take(loader, 10)).flatMap(rows);
    expect(ours.slice(0, 9)).toEqual(reference);
    expect(ours[9]).toEqual({ x: [...tokens.slice(90, 100)], y: [...tokens.slice(91, 101)] });
  });

  it('fills a batch across the end of an epoch and counts the epoch', async () => {
    const loader = new WindowLoader(positions(13), { batchSize: 2, seqLen: 4 }); // 3 windows: 0, 4, 8
    const [first, second] = await take(loader, 2);
    expect(rows(first!).map(({ x }) => x[0])).toEqual([0, 4]);
    expect(rows(second!).map(({ x }) => x[0])).toEqual([8, 0]);
    expect(loader.cursor).toEqual({ epoch: 1, position: 1 });
    expect(rows(second!)[0]).toEqual({ x: [8, 9, 10, 11], y: [9, 10, 11, 12] });
  });
});

describe('WindowLoader, shuffled', () => {
  it('visits every window once per epoch, in a new seeded order each epoch', async () => {
    const options: WindowLoaderOptions = { batchSize: 5, seqLen: 3, order: 'shuffled', seed: 11 };
    const loader = new WindowLoader(positions(61), options); // 20 windows
    const starts = (await take(loader, 8)).flatMap(rows).map(({ x }) => x[0]! / 3);
    const epoch0 = starts.slice(0, 20);
    const epoch1 = starts.slice(20, 40);
    const all = Array.from({ length: 20 }, (_, i) => i);
    expect([...epoch0].sort((a, b) => a - b)).toEqual(all);
    expect([...epoch1].sort((a, b) => a - b)).toEqual(all);
    expect(epoch1).not.toEqual(epoch0);
    expect(epoch0).not.toEqual(all);
    const again = (await take(new WindowLoader(positions(61), options), 4))
      .flatMap(rows)
      .map(({ x }) => x[0]! / 3);
    expect(again).toEqual(epoch0);
  });
});

describe('WindowLoader cursor', () => {
  for (const order of ['sequential', 'shuffled'] as const) {
    it(`resumes a ${order} read exactly where a saved cursor says`, async () => {
      const options: WindowLoaderOptions = { batchSize: 3, seqLen: 5, order, seed: 5 };
      const uninterrupted = await take(new WindowLoader(positions(58), options), 12); // 11 windows: crosses epochs

      const first = new WindowLoader(positions(58), options);
      await take(first, 5);
      const saved = JSON.parse(JSON.stringify(first.cursor));
      const resumed = await take(new WindowLoader(positions(58), { ...options, cursor: saved }), 7);
      expect(resumed).toEqual(uninterrupted.slice(5));
    });
  }

  it('as a batch source: setCursor on a running loader resumes the same way', async () => {
    const options: WindowLoaderOptions = { batchSize: 3, seqLen: 5, order: 'shuffled', seed: 9 };
    const uninterrupted = await take(new WindowLoader(positions(58), options), 12);
    const first = new WindowLoader(positions(58), options);
    await take(first, 4);
    const other = new WindowLoader(positions(58), options);
    other.setCursor(JSON.parse(JSON.stringify(first.getCursor())));
    const resumed = [];
    for (let i = 0; i < 8; i++) resumed.push(await other.nextBatch());
    expect(resumed).toEqual(uninterrupted.slice(4));
    expect(() => other.setCursor({ epoch: 0, position: -1 })).toThrow(/is not a position in 11 windows/);
  });

  it('rejects a cursor outside the epoch, and streams too short for one window', () => {
    expect(
      () => new WindowLoader(positions(58), { batchSize: 1, seqLen: 5, cursor: { epoch: 0, position: 11 } }),
    ).toThrow(/cursor \{"epoch":0,"position":11\} is not a position in 11 windows/);
    expect(() => new WindowLoader(positions(5), { batchSize: 1, seqLen: 5 })).toThrow(
      'WindowLoader: the stream has 5 tokens, too few for one window of seqLen + 1 = 6',
    );
    expect(() => new WindowLoader(positions(50), { batchSize: 0, seqLen: 5 })).toThrow(
      /batchSize must be a positive integer/,
    );
  });
});
