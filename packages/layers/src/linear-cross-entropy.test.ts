import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { crossEntropy, linearCrossEntropy, matMul } from './index.js';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe.each(PARITY_BACKENDS)('linearCrossEntropy on %s', (backend) => {
  it.each([1, 3, 7, 100])(
    'equals crossEntropy(h·W) in value and gradients, chunks of %i rows',
    async (chunkRows) => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const h = tf.randomNormal([2, 5, 6], 0, 1, 'float32', 1);
      const W = tf.randomNormal([6, 11], 0, 1, 'float32', 2);
      const targets = tf.tensor2d(
        [
          [1, 0, 10, 3, -100],
          [4, 4, -100, 9, 2],
        ],
        [2, 5],
        'int32',
      );
      const fused = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        linearCrossEntropy(a, b, targets, { ignoreIndex: -100, chunkRows }),
      )([h, W]);
      const plain = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        crossEntropy(tf.reshape(matMul(tf.reshape(a, [10, 6]), b), [2, 5, 11]), targets, {
          ignoreIndex: -100,
        }),
      )([h, W]);
      expect(maxAbsDiff(fused.value, plain.value)).toBeLessThan(1e-5);
      expect(maxAbsDiff(fused.grads[0]!, plain.grads[0]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(fused.grads[1]!, plain.grads[1]!)).toBeLessThan(1e-5);
      expect(fused.grads[0]!.shape).toEqual([2, 5, 6]);
      tf.dispose([h, W, targets, fused.value, fused.grads, plain.value, plain.grads]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('evaluates the same value when no gradient is recorded, and scales its gradient with the upstream one', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const h = tf.randomNormal([7, 6], 0, 1, 'float32', 3);
    const W = tf.randomNormal([6, 13], 0, 1, 'float32', 4);
    const targets = tf.tensor1d([0, 12, 5, 5, 1, 7, 2], 'int32');
    const evaluated = linearCrossEntropy(h, W, targets, { chunkRows: 3 });
    const plain = tf.tidy(() => crossEntropy(matMul(h, W), targets));
    expect(maxAbsDiff(evaluated, plain)).toBeLessThan(1e-5);
    // d(2.5 · loss) = 2.5 · d loss: the gradients computed in the forward pass are scaled in the backward one
    const scaled = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.mul(linearCrossEntropy(a, b, targets, { chunkRows: 3 }), 2.5),
    )([h, W]);
    const reference = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.mul(crossEntropy(matMul(a, b), targets), 2.5),
    )([h, W]);
    expect(maxAbsDiff(scaled[0]!, reference[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(scaled[1]!, reference[1]!)).toBeLessThan(1e-5);
    tf.dispose([h, W, targets, evaluated, plain, scaled, reference]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('linearCrossEntropy errors', () => {
  it('names mismatched shapes', async () => {
    await useBackend('cpu');
    tf.tidy(() => {
      expect(() => linearCrossEntropy(tf.zeros([4, 6]), tf.zeros([5, 3]), tf.zeros([4], 'int32'))).toThrow(
        /linearCrossEntropy: weight \[5,3\] does not map hidden \[4,6\] to logits/,
      );
      expect(() => linearCrossEntropy(tf.zeros([4, 6]), tf.zeros([6, 3]), tf.zeros([5], 'int32'))).toThrow(
        /hidden \[4,6\] do not match targets \[5\]/,
      );
    });
  });
});
