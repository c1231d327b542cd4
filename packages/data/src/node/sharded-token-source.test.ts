import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../../test/shared-data.js';
import type { LanguageModelBatch as TokenBatch } from '../token-batch.js';
import { InMemoryTokenSource } from '../token-source.js';
import { WindowLoader, type WindowLoaderOptions } from '../window-loader.js';
import { prepareCorpus } from './prepare-corpus.js';
import { ShardedTokenSource } from './sharded-token-source.js';

let root: string;
let shardDir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mini-llama-shards-'));
  shardDir = join(root, 'shards');
  await prepareCorpus({
    tokenizer: new ByteTokenizer(),
    tokenizerName: 'bytes',
    inputs: [fixture('stories.txt'), fixture('notes.txt')],
    outDir: shardDir,
    valFraction: 0,
    shardTokens: 50, // many shard boundaries for 16-token windows to cross
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function take(loader: WindowLoader, count: number): Promise<TokenBatch[]> {
  const batches = [];
  for (let i = 0; i < count; i++) batches.push(await loader.next());
  return batches;
}

/** The whole train stream, straight from the files. */
async function inMemory(): Promise<InMemoryTokenSource> {
  const source = await ShardedTokenSource.open(shardDir);
  try {
    return new InMemoryTokenSource(await source.read(0, source.length));
  } finally {
    await source.close();
  }
}

describe('ShardedTokenSource', () => {
  it('serves the same windows as the stream in memory, across shard boundaries', async () => {
    const disk = await ShardedTokenSource.open(shardDir, { vocabSize: 259 });
    expect(disk.manifest.shards.length).toBeGreaterThan(5);
    const memory = await inMemory();
    expect(memory.length).toBe(disk.length);
    // Every range [s, s+17) read piecewise from disk equals the slice of the whole stream.
    for (let start = 0; start + 17 <= disk.length; start += 7) {
      expect(await disk.read(start, 17)).toEqual(await memory.read(start, 17));
    }
    for (const order of ['sequential', 'shuffled'] as const) {
      const options: WindowLoaderOptions = { batchSize: 4, seqLen: 16, order, seed: 3 };
      expect(await take(new WindowLoader(disk, options), 10)).toEqual(
        await take(new WindowLoader(memory, options), 10),
      );
    }
    await disk.close();
  });

  it('resumes from a saved cursor with the batches an uninterrupted run reads next', async () => {
    const options: WindowLoaderOptions = { batchSize: 4, seqLen: 16, order: 'shuffled', seed: 9 };
    const whole = await ShardedTokenSource.open(shardDir);
    const uninterrupted = await take(new WindowLoader(whole, options), 9);
    await whole.close();

    const first = await ShardedTokenSource.open(shardDir);
    const loader = new WindowLoader(first, options);
    await take(loader, 4);
    const saved = JSON.stringify(loader.cursor);
    await first.close();

    const second = await ShardedTokenSource.open(shardDir);
    const resumed = await take(new WindowLoader(second, { ...options, cursor: JSON.parse(saved) }), 5);
    await second.close();
    expect(resumed).toEqual(uninterrupted.slice(4));
  });

  it("refuses shards made for another vocabulary than the model's", async () => {
    await expect(ShardedTokenSource.open(shardDir, { vocabSize: 32_000 })).rejects.toThrow(
      /manifest\.json: the shards were tokenised with bytes \(vocabSize 259\) but the model's vocabulary has 32000/,
    );
  });

  it('names a shard whose size disagrees with the manifest, and an id outside the vocabulary', async () => {
    const broken = join(root, 'broken');
    await cp(shardDir, broken, { recursive: true });
    await truncate(join(broken, 'train-00001.bin'), 30);
    await expect(ShardedTokenSource.open(broken)).rejects.toThrow(
      /train-00001\.bin: has 30 bytes, but manifest\.json lists 50 uint16 tokens \(100 bytes\)/,
    );

    const small = join(root, 'small-vocab');
    await cp(shardDir, small, { recursive: true });
    const manifest = JSON.parse(await readFile(join(small, 'manifest.json'), 'utf8'));
    await writeFile(join(small, 'manifest.json'), JSON.stringify({ ...manifest, vocabSize: 100 }));
    const source = await ShardedTokenSource.open(small);
    // Token 1 is 'T' (84 + 3 = 87, in range); token 2 is 'o' (111 + 3 = 114 ≥ 100).
    await expect(source.read(0, 3)).rejects.toThrow(
      /train-00000\.bin: token 2 is id 114, outside the vocabulary \(vocabSize 100\)/,
    );
    await source.close();
    await expect(ShardedTokenSource.open(join(root, 'nowhere'))).rejects.toThrow(
      /nowhere\/manifest\.json: cannot read the shard manifest/,
    );
  });
});
