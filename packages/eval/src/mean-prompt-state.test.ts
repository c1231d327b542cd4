import { useBackend } from '@mini-llama/backends';
import { LlamaModel } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { meanPromptState } from './mean-prompt-state.js';
import { TINY } from './test-helpers.js';

const bytes = new ByteTokenizer();

describe('meanPromptState', () => {
  it('is the mean of each text’s last hidden state in the prompt, however the texts are batched', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(TINY, { seed: 3 });
    const texts = ['ab', 'a much longer text', 'xyz', 'q'];
    const template = '{text}!';
    const before = tf.memory().numTensors;
    const batched = await meanPromptState(model, bytes, texts, { template, batchSize: 3, maxLength: 12 });
    const alone = await meanPromptState(model, bytes, texts, { template, batchSize: 1, maxLength: 12 });
    expect(tf.memory().numTensors).toBe(before);
    // by hand: each text on its own, BOS + the filled prompt cut to its last 12 tokens, the last position read
    const expected = new Float64Array(TINY.dim);
    for (const text of texts) {
      const ids = bytes.encode(`${text}!`, { bos: true }).slice(-12);
      const last = tf.tidy(() => {
        const hidden = model.hiddenStates(tf.tensor2d([ids], [1, ids.length], 'int32'));
        return hidden.arraySync()[0]![ids.length - 1]!;
      });
      last.forEach((value, i) => {
        expected[i]! += value / texts.length;
      });
    }
    expected.forEach((value, i) => {
      expect(batched[i]).toBeCloseTo(value, 4);
      expect(alone[i]).toBeCloseTo(value, 4);
    });
    model.dispose();
  });

  it('refuses an empty set of texts', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(TINY, { seed: 3 });
    await expect(meanPromptState(model, bytes, [])).rejects.toThrow('meanPromptState: no texts');
    model.dispose();
  });
});
