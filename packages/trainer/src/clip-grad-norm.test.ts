import { useBackend } from '@mini-llama/backends';
import { TEST_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, globalNorm } from './clip-grad-norm.js';

describe.each(TEST_BACKENDS)('the global gradient norm on %s', (backend) => {
  it('sums over as many tensors as a model has (more than a WebGPU shader binds at once)', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    // 30 gradients of a few shapes; element k of tensor i is (i + 1) / 100 · (-1)^k.
    const gradients = new Map<string, tf.Tensor>();
    let sumOfSquares = 0;
    for (let i = 0; i < 30; i++) {
      const size = 3 + (i % 4);
      const values = Array.from({ length: size }, (_, k) => ((i + 1) / 100) * (k % 2 ? -1 : 1));
      sumOfSquares += values.reduce((total, value) => total + value * value, 0);
      gradients.set(`g${i}`, tf.tensor1d(values));
    }
    const norm = await globalNorm(gradients);
    expect(norm).toBeCloseTo(Math.sqrt(sumOfSquares), 5);
    const clipped = await clipGradNorm(gradients, norm / 2);
    expect(await globalNorm(clipped.gradients)).toBeCloseTo(norm / 2, 5);
    for (const tensor of [...gradients.values(), ...clipped.gradients.values()]) tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
