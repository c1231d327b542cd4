import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseLlama2c } from '@mini-llama/formats';
import { resolveConfig } from '@mini-llama/model';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { buildRunC, measureRunC, rowThreads, runCTokenizer, writeRunCInputs } from './index.js';

const CONFIG = resolveConfig({ dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 300, maxSeqLen: 64 });
// llama2.c's run.c (MIT) is a peer of the repository, not part of it: the test runs it where it is found
const RUN_C = resolve(import.meta.dirname, '../../../../../shared/peers/llama2c/run.c');

/** The pieces of a tokenizer.bin, read as run.c's build_tokenizer reads them. */
function readPieces(bytes: Uint8Array, vocabSize: number): { maxLength: number; pieces: string[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces: string[] = [];
  let offset = 4;
  for (let i = 0; i < vocabSize; i++) {
    const length = view.getInt32(offset + 4, true);
    pieces.push(new TextDecoder().decode(bytes.subarray(offset + 8, offset + 8 + length)));
    offset += 8 + length;
  }
  expect(offset).toBe(bytes.length);
  return { maxLength: view.getInt32(0, true), pieces };
}

describe('the run.c yardstick', () => {
  it('compares ours at the threads each backend runs on: wasm its count, tensorflow every core, cpu one', () => {
    expect(rowThreads({ backend: 'wasm', threads: 3 }, 8)).toBe(3);
    expect(rowThreads({ backend: 'tensorflow', threads: null }, 8)).toBe(8);
    expect(rowThreads({ backend: 'cpu', threads: null }, 8)).toBe(1);
    expect(rowThreads({ backend: 'webgpu', threads: null }, 8)).toBeNull();
  });

  it('writes a tokenizer.bin of one piece per token: specials, bytes, then the rest', () => {
    const { maxLength, pieces } = readPieces(runCTokenizer(300), 300);
    expect(pieces.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(pieces[258]).toBe('<0xFF>');
    expect(pieces[299]).toBe('t299 ');
    expect(maxLength).toBe(6);
  });

  it('writes a llama2.c checkpoint of the shape whose BOS row is zero (greedy decoding never stops early)', async () => {
    const directory = await temporaryDirectory();
    const { checkpoint } = await writeRunCInputs(CONFIG, directory, 3);
    const { config, stateDict } = parseLlama2c(new Uint8Array(await readFile(checkpoint)), checkpoint);
    expect(config).toMatchObject({ dim: 32, nLayers: 2, nKvHeads: 2, vocabSize: 300, maxSeqLen: 64 });
    const embedding = stateDict.get('model.embed_tokens.weight')!.data;
    expect(embedding.subarray(32, 64).every((value) => value === 0)).toBe(true);
    expect(embedding.subarray(64, 96).some((value) => value !== 0)).toBe(true);
    await expect(writeRunCInputs({ ...CONFIG, tieEmbeddings: false }, directory)).rejects.toThrow(
      'the shape must tie its embeddings',
    );
  });

  it.skipIf(!existsSync(RUN_C))(
    'compiles run.c both ways and reads its tokens per second (skipped without ../shared/peers/llama2c)',
    async () => {
      const directory = await temporaryDirectory();
      const inputs = await writeRunCInputs(CONFIG, directory);
      for (const build of ['single', 'openmp'] as const) {
        const executable = await buildRunC(RUN_C, directory, build);
        const { tokensPerSecond } = await measureRunC(executable, inputs, { newTokens: 40, threads: 2 });
        expect(tokensPerSecond).toBeGreaterThan(0);
      }
      await expect(buildRunC(join(directory, 'missing.c'), directory, 'single')).rejects.toThrow(
        /cc -O3 -o .* failed/,
      );
    },
  );
});
