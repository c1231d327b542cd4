import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { InMemoryTokenSource } from '@mini-llama/data';
import { prepareCorpus, ShardedTokenSource } from '@mini-llama/data/node';
import { LlamaModel } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluatePerplexity } from '../perplexity.js';
import { TINY } from '../test-helpers.js';
import { readMetricsJsonl } from './read-metrics.js';
import { shardPerplexity } from './shard-perplexity.js';

describe('shardPerplexity', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'mini-llama-eval-'));
  afterAll(() => rm(directory, { recursive: true, force: true }));
  const tokenizer = new ByteTokenizer();
  const documents = ['the first document, über short', 'a second one that runs a little longer than that'];

  it('scores the split stream as evaluatePerplexity does, with bytes from the decoded documents', async () => {
    await useBackend('cpu');
    const train = join(directory, 'train.jsonl');
    const val = join(directory, 'val.jsonl');
    await writeFile(train, `${JSON.stringify({ text: 'training text' })}\n`);
    await writeFile(val, documents.map((text) => JSON.stringify({ text })).join('\n'));
    const shards = join(directory, 'shards');
    await prepareCorpus({
      tokenizer,
      tokenizerName: 'bytes',
      inputs: [train],
      valInputs: [val],
      outDir: shards,
      shardTokens: 20,
    });

    const model = new LlamaModel(TINY, { seed: 2 });
    const before = tf.memory().numTensors;
    const result = await shardPerplexity(model, shards, { tokenizer, stride: 5 });
    expect(tf.memory().numTensors).toBe(before);
    const tokens = documents.flatMap((text) => tokenizer.encode(text, { bos: true }));
    const expected = await evaluatePerplexity(model, new InMemoryTokenSource(Int32Array.from(tokens)), {
      stride: 5,
    });
    expect(result.tokens).toBe(tokens.length - 1);
    expect(result.nll).toBeCloseTo(expected.nll, 6);
    const bytes = documents.reduce((sum, text) => sum + new TextEncoder().encode(text).length, 0);
    expect(result.bytes).toBe(bytes);
    expect(result.bitsPerByte).toBeCloseTo((result.nll * result.tokens) / Math.LN2 / bytes, 8);
    expect((await shardPerplexity(model, shards, { stride: 5 })).bitsPerByte).toBeNull(); // no tokenizer
    const source = await ShardedTokenSource.open(shards, { split: 'train' });
    expect(source.length).toBe(14); // BOS + 13 bytes
    await source.close();

    const other = new LlamaModel({ ...TINY, vocabSize: 300 }, { seed: 2 });
    await expect(shardPerplexity(other, shards)).rejects.toThrow(/vocabSize 259/);
    other.dispose();
    model.dispose();
  });

  it('reads metrics.jsonl from a run directory', async () => {
    const run = join(directory, 'run');
    await writeFile(
      join(directory, 'metrics.jsonl'),
      '{"step":1,"loss":2}\n{"step":2,"loss":1.5,"valLoss":1.7}\n',
    );
    expect(await readMetricsJsonl(directory)).toHaveLength(2);
    await expect(readMetricsJsonl(run)).rejects.toThrow(/run\/metrics.jsonl: cannot read/);
  });
});
