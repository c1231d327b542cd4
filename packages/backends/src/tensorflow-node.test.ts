import { skipNote, TENSORFLOW_SKIP, TENSORFLOW_TESTABLE } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from './index.js';

// The real @tensorflow/tfjs-node, where its addon is built (scripts/tfjs-node-local.sh): the 'tensorflow'
// backend starts, computes with the tfjs-core instance our packages use, differentiates, and frees what it made.
describe.skipIf(!TENSORFLOW_TESTABLE)(
  `the tensorflow backend (tfjs-node)${skipNote(TENSORFLOW_SKIP)}`,
  () => {
    it('starts when asked and says which package provides it', async () => {
      const choice = await useBackend('tensorflow');
      expect(choice).toMatchObject({
        name: 'tensorflow',
        provider: '@tensorflow/tfjs-node',
        reason: 'requested explicitly',
      });
      expect(tf.getBackend()).toBe('tensorflow');
    });

    it('multiplies and differentiates like the cpu backend, without leaking tensors', async () => {
      const run = () =>
        tf.tidy(() => {
          const a = tf.tensor2d([1, -2, 3, 0.5, 4, -1], [2, 3]);
          const b = tf.tensor2d([2, 1, -1, 3, 0, 2], [3, 2]);
          const { value, grads } = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(tf.square(tf.matMul(x, y))),
          )([a, b]);
          return [value, ...grads].map((t) => Array.from(t.dataSync()));
        });
      await useBackend('cpu');
      const expected = run();
      await useBackend('tensorflow');
      const before = tf.memory().numTensors;
      const ours = run();
      expect(tf.memory().numTensors).toBe(before);
      expect(ours.length).toBe(expected.length);
      for (const [i, values] of ours.entries()) {
        for (const [j, value] of values.entries()) expect(value).toBeCloseTo(expected[i]![j]!, 4);
      }
    });
  },
);
