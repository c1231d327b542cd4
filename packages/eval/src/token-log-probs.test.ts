import { useBackend } from '@mini-llama/backends';
import { LlamaModel } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { referenceSequenceLogProbs, TINY } from './test-helpers.js';
import { tokenLogProbs } from './token-log-probs.js';

const sequences = [
  { tokens: [1, 72, 101, 108, 108, 111], scoreFrom: 1 },
  { tokens: [1, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200], scoreFrom: 9 },
  { tokens: [1, 7], scoreFrom: 1 },
  { tokens: [1, 33, 44, 55], scoreFrom: 4 }, // nothing to score
];

describe.each(['cpu', 'wasm'] as const)('tokenLogProbs on %s', (backend) => {
  it('equals log-softmax of model.forward at each scored token, batched with padding or one at a time', async () => {
    await useBackend(backend);
    const model = new LlamaModel(TINY, { seed: 5 });
    const before = tf.memory().numTensors;
    const batched = await tokenLogProbs(model, sequences, { batchSize: 4 });
    const alone = await tokenLogProbs(model, sequences, { batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    sequences.forEach(({ tokens, scoreFrom }, i) => {
      const reference = referenceSequenceLogProbs(model, tokens, scoreFrom);
      expect(batched[i]!.length).toBe(tokens.length - scoreFrom);
      reference.forEach((value, t) => {
        expect(batched[i]![t]).toBeCloseTo(value, 4);
        expect(Math.abs(batched[i]![t]! - alone[i]![t]!)).toBeLessThan(1e-5);
      });
    });
    model.dispose();
  });

  it('reuses a head given by the caller and leaves it alive', async () => {
    await useBackend(backend);
    const model = new LlamaModel({ ...TINY, tieEmbeddings: false }, { seed: 6 });
    const head = model.inferenceHead();
    const before = tf.memory().numTensors;
    const withHead = await tokenLogProbs(model, sequences.slice(0, 2), { head });
    expect(tf.memory().numTensors).toBe(before);
    expect(head.isDisposed).toBe(false);
    const without = await tokenLogProbs(model, sequences.slice(0, 2));
    expect(Array.from(withHead[1]!)).toEqual(Array.from(without[1]!));
    head.dispose();
    model.dispose();
  });
});

describe('tokenLogProbs arguments', () => {
  it('names the sequence and the problem', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(TINY, { seed: 1 });
    const before = tf.memory().numTensors;
    await expect(tokenLogProbs(model, [{ tokens: Array(18).fill(5), scoreFrom: 1 }])).rejects.toThrow(
      /sequence 0 has 18 tokens; its 17 inputs exceed the context length 16/,
    );
    await expect(tokenLogProbs(model, [{ tokens: [1, 2], scoreFrom: 0 }])).rejects.toThrow(/scoreFrom 0/);
    await expect(tokenLogProbs(model, [{ tokens: [1], scoreFrom: 1 }])).rejects.toThrow(/needs at least 2/);
    await expect(
      tokenLogProbs(model, [
        { tokens: [1, 2], scoreFrom: 1 },
        { tokens: [1, 259], scoreFrom: 1 },
      ]),
    ).rejects.toThrow(/sequence 1 holds token id 259, outside the vocabulary 0…258/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
