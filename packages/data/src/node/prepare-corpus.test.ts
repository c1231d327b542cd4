import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteTokenizer, type Tokenizer } from '@mini-llama/tokenizer';
import { loadTokenizer } from '@mini-llama/tokenizer/node';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../../test/shared-data.js';
import { assignSplit, type SplitName } from '../document-split.js';
import { type PretrainingFormat, parseDocuments } from '../pretraining-documents.js';
import type { ShardManifest } from '../shard-manifest.js';
import { prepareCorpus, TEXT_PASSAGE_TOKENS } from './prepare-corpus.js';

const directories: string[] = [];
async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'mini-llama-data-'));
  directories.push(directory);
  return directory;
}
afterAll(() => Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true }))));

/** A split's stream read straight from the shard files, with Buffer's own little-endian readers. */
async function readStream(directory: string, manifest: ShardManifest, split: SplitName): Promise<number[]> {
  const ids: number[] = [];
  for (const shard of manifest.shards.filter((entry) => entry.split === split)) {
    const bytes = await readFile(join(directory, shard.file));
    const width = manifest.dtype === 'uint16' ? 2 : 4;
    expect(bytes.length).toBe(shard.tokens * width);
    for (let offset = 0; offset < bytes.length; offset += width) {
      ids.push(width === 2 ? bytes.readUInt16LE(offset) : bytes.readUInt32LE(offset));
    }
  }
  return ids;
}

const INPUTS: [string, PretrainingFormat][] = [
  ['stories.txt', 'tinystories'],
  ['corpus.jsonl', 'jsonl'],
  ['notes.txt', 'text'],
];

describe('prepareCorpus', () => {
  const tokenizer = new ByteTokenizer();
  const rule = { valFraction: 0.3, seed: 1 };

  it('splits a plain text file by passages, so a long one trains and validates', async () => {
    const outDir = await temporaryDirectory();
    const text = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} of one long story.`).join('\n\n');
    const file = join(outDir, 'story.txt');
    await writeFile(file, text);
    const manifest = await prepareCorpus({
      tokenizer,
      tokenizerName: 'bytes',
      inputs: [file],
      outDir: join(outDir, 'shards'),
      valFraction: 0.2,
      seed: 0,
    });
    const tokens = 1 + Buffer.byteLength(text);
    expect(manifest.documents.train + manifest.documents.val).toBe(Math.ceil(tokens / TEXT_PASSAGE_TOKENS));
    expect(manifest.documents.val).toBeGreaterThan(0);
    expect(manifest.documents.train).toBeGreaterThan(manifest.documents.val);
    const stream = [
      ...(await readStream(join(outDir, 'shards'), manifest, 'train')),
      ...(await readStream(join(outDir, 'shards'), manifest, 'val')),
    ];
    expect(stream.length).toBe(tokens); // every token once, on one side or the other
  });

  it('writes each split as BOS + tokens per document, in order, cut into uint16 shards', async () => {
    const outDir = await temporaryDirectory();
    const manifest = await prepareCorpus({
      tokenizer,
      tokenizerName: 'bytes',
      inputs: INPUTS.map(([name]) => fixture(name)),
      outDir,
      ...rule,
      shardTokens: 64,
    });
    const expected: Record<SplitName, number[]> = { train: [], val: [] };
    for (const [name, format] of INPUTS) {
      for (const text of parseDocuments(await readFile(fixture(name), 'utf8'), { format })) {
        const tokens = [tokenizer.bosId, ...[...Buffer.from(text, 'utf8')].map((byte) => byte + 3)];
        // a plain text file's split is decided by its passages' tokens (this one is a single passage)
        const key = format === 'text' ? tokens.join(',') : text;
        expected[assignSplit(key, rule)].push(...tokens);
      }
    }
    expect(expected.val.length).toBeGreaterThan(0); // this seed sends something to each side
    expect(await readStream(outDir, manifest, 'train')).toEqual(expected.train);
    expect(await readStream(outDir, manifest, 'val')).toEqual(expected.val);
    expect(manifest.documents.train + manifest.documents.val).toBe(9);
    expect(manifest).toMatchObject({
      vocabSize: 259,
      dtype: 'uint16',
      tokenizer: { name: 'bytes', bosId: 1, eosId: 2 },
    });
    expect(manifest.split).toEqual({ rule: 'fnv1a-hash', seed: 1, valFraction: 0.3 });
    const train = manifest.shards.filter((shard) => shard.split === 'train');
    expect(train.length).toBeGreaterThan(2);
    expect(train.slice(0, -1).every((shard) => shard.tokens === 64)).toBe(true);
    expect(train.map((shard) => shard.file).slice(0, 2)).toEqual(['train-00000.bin', 'train-00001.bin']);
    expect(JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8'))).toEqual(manifest);

    // A second, smaller run into the same directory leaves no shard of the first behind.
    const again = await prepareCorpus({
      tokenizer,
      tokenizerName: 'bytes',
      inputs: [fixture('notes.txt')],
      outDir,
      valFraction: 0,
    });
    expect((await readdir(outDir)).sort()).toEqual(
      ['manifest.json', ...again.shards.map((shard) => shard.file)].sort(),
    );
  });

  it('stores ids as uint32 for a vocabulary over 65,535', async () => {
    const big: Tokenizer = {
      vocabSize: 70_000,
      bosId: 1,
      eosId: 2,
      encode: (text, { bos = false } = {}) => [
        ...(bos ? [1] : []),
        ...[...text].map((char) => 65_536 + char.charCodeAt(0)),
      ],
      decode: () => '',
    };
    const outDir = await temporaryDirectory();
    const manifest = await prepareCorpus({
      tokenizer: big,
      tokenizerName: 'big',
      inputs: [fixture('notes.txt')],
      outDir,
      valFraction: 0,
    });
    expect(manifest.dtype).toBe('uint32');
    const ids = await readStream(outDir, manifest, 'train');
    expect(ids.slice(0, 4)).toEqual([1, 65_536 + 84, 65_536 + 104, 65_536 + 101]); // BOS, "The"
  });

  it('fails on a bad record with its file and line, and leaves no manifest', async () => {
    const outDir = await temporaryDirectory();
    await expect(
      prepareCorpus({
        tokenizer,
        tokenizerName: 'bytes',
        inputs: [fixture('notes.txt'), fixture('corpus-bad.jsonl')],
        outDir,
      }),
    ).rejects.toThrow(/corpus-bad\.jsonl:2: invalid JSON/);
    expect(await readdir(outDir)).not.toContain('manifest.json');
  });
});

describe.skipIf(!hasSharedData('tinystories') || !hasSharedData('llama2-tokenizer'))(
  `TinyStoriesV2 with the Llama 2 tokenizer${needs('tinystories')}${needs('llama2-tokenizer')}`,
  () => {
    it('starts every story with BOS (id 1), which text never encodes to', async () => {
      const tokenizer = await loadTokenizer(sharedData('llama2-tokenizer/tokenizer.bin'));
      const outDir = await temporaryDirectory();
      const manifest = await prepareCorpus({
        tokenizer,
        tokenizerName: 'tokenizer.bin',
        inputs: [sharedData('tinystories/tinystories_v2_sample_cs336.txt')],
        outDir,
        valFraction: 0,
      });
      expect(manifest).toMatchObject({ vocabSize: 32_000, dtype: 'uint16', documents: { train: 5, val: 0 } });
      const ids = await readStream(outDir, manifest, 'train');
      expect(ids[0]).toBe(1);
      expect(ids.filter((id) => id === 1)).toHaveLength(5);
      expect(tokenizer.decode(ids.slice(0, 8))).toMatch(/^Once upon a time/);
    });
  },
);
