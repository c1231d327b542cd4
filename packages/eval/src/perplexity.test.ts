import { useBackend } from '@mini-llama/backends';
import { InMemoryTokenSource } from '@mini-llama/data';
import { LlamaModel } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { evaluatePerplexity, type PerplexityProgress, textPerplexity } from './perplexity.js';
import { referenceLogProb, TINY } from './test-helpers.js';

const tokenizer = new ByteTokenizer();
// 37 characters, 38 bytes (é is two): with BOS, 39 tokens, more than two 16-token contexts
const text = 'the café sat on the mat; it was fine.';

/** Mean NLL where token t (t ≥ 1) is predicted from tokens [contextStart(t), t), one forward pass each. */
function referenceNll(model: LlamaModel, tokens: number[], contextStart: (t: number) => number): number {
  let total = 0;
  for (let t = 1; t < tokens.length; t++)
    total -= referenceLogProb(model, tokens.slice(contextStart(t), t), tokens[t]!);
  return total / (tokens.length - 1);
}

describe.each(['cpu', 'wasm'] as const)('perplexity on %s', (backend) => {
  it('stride 1 scores every token with the full window before it', async () => {
    await useBackend(backend);
    const model = new LlamaModel(TINY, { seed: 3 });
    const tokens = tokenizer.encode(text, { bos: true });
    const before = tf.memory().numTensors;
    const result = await evaluatePerplexity(model, new InMemoryTokenSource(Int32Array.from(tokens)), {
      windowSize: 16,
      stride: 1,
      batchSize: 5,
    });
    expect(tf.memory().numTensors).toBe(before);
    const expected = referenceNll(model, tokens, (t) => Math.max(0, t - 16));
    expect(result.tokens).toBe(tokens.length - 1);
    expect(result.nll).toBeCloseTo(expected, 5);
    expect(result.perplexity).toBeCloseTo(Math.exp(expected), 4);
    expect(result.bytes).toBeNull();
    expect(result.bitsPerByte).toBeNull();
    model.dispose();
  });

  it('stride = window scores chunks: token t sees the tokens since the start of its chunk', async () => {
    await useBackend(backend);
    const model = new LlamaModel(TINY, { seed: 4 });
    const ascii = 'the cat sat on the mat. '.repeat(2).slice(0, 32);
    const tokens = tokenizer.encode(ascii, { bos: true }); // 33 tokens: targets 1…32 in 2 chunks of 16
    const result = await evaluatePerplexity(model, new InMemoryTokenSource(Int32Array.from(tokens)), {
      stride: 16,
    });
    const expected = referenceNll(model, tokens, (t) => 16 * Math.floor((t - 1) / 16));
    expect(result.nll).toBeCloseTo(expected, 5);
    expect(result).toMatchObject({ tokens: 32, windowSize: 16, stride: 16 });
    model.dispose();
  });
});

describe('textPerplexity', () => {
  it('reports bits per byte over the UTF-8 bytes of the text, the same for any batch size', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(TINY, { seed: 7 });
    const progress: PerplexityProgress[] = [];
    const before = tf.memory().numTensors;
    const result = await textPerplexity(model, tokenizer, text, {
      stride: 6,
      batchSize: 2,
      onProgress: (event) => progress.push(event),
    });
    const single = await textPerplexity(model, tokenizer, text, { stride: 6, batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const bytes = new TextEncoder().encode(text).length;
    expect(bytes).toBe(38);
    expect(result.bytes).toBe(bytes);
    expect(result.tokens).toBe(bytes); // one byte token each, after BOS
    expect(result.bitsPerByte).toBeCloseTo((result.nll * result.tokens) / Math.LN2 / bytes, 10);
    expect(Math.abs(result.nll - single.nll)).toBeLessThan(1e-6);
    // windows: the first scores 16 targets, then 6 per window: ⌈(39 − 17) / 6⌉ = 4 more, 5 in all,
    // reported after each of 3 batches of at most 2
    expect(progress.map((event) => event.windowsDone)).toEqual([2, 4, 5]);
    expect(progress.map((event) => event.scoredTokens)).toEqual([16 + 6, 16 + 18, 38]);
    expect(progress.at(-1)).toEqual({ scoredTokens: 38, totalTokens: 38, windowsDone: 5, windows: 5 });
    model.dispose();
  });

  it('rejects windows beyond the context and texts with nothing to score', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(TINY, { seed: 7 });
    await expect(textPerplexity(model, tokenizer, text, { windowSize: 17 })).rejects.toThrow(
      /windowSize 17 exceeds the model's context length 16/,
    );
    await expect(textPerplexity(model, tokenizer, '')).rejects.toThrow(/encodes to no tokens/);
    await expect(textPerplexity(model, tokenizer, text, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    model.dispose();
  });
});
