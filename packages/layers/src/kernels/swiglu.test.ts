import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FeedForward, FUSED } from '../index.js';
import { expectClose, randomValues, runKernel, withCompositeOps } from '../test-helpers.js';
import { registerFusedKernels } from './index.js';

const fusedSwiGlu = (gate: tf.Tensor, up: tf.Tensor) => runKernel(FUSED.swiGlu, { gate, up })[0]!;

describe.each(['cpu', 'wasm'] as const)('fused SwiGLU on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
  });

  it('equals gate · sigmoid(gate) · up, large and negative gates included', () => {
    const before = tf.memory().numTensors;
    const gateValues = [...randomValues(9, 5, 4), 30, -30, 0]; // odd size; saturated sigmoids at both ends
    const upValues = randomValues(12, 6, 2);
    const gate = tf.tensor2d(gateValues, [3, 4]);
    const up = tf.tensor2d(upValues, [3, 4]);
    const fused = fusedSwiGlu(gate, up);
    const reference = tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
    expect(fused.shape).toEqual([3, 4]);
    expectClose(fused.dataSync(), reference.dataSync(), 1e-6);
    tf.dispose([gate, up, fused, reference]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects gate and up of different shapes', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(() => fusedSwiGlu(tf.zeros([2, 3]), tf.zeros([3, 2]))).toThrow(/differ in shape/);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    { label: 'one decoded token [1, 1, dim]', shape: [1, 1, 6] },
    { label: 'a batch of sequences [B, T, dim]', shape: [2, 3, 6] },
    { label: 'rows [N, dim]', shape: [4, 6] },
  ])('FeedForward gives the composite result for $label', ({ shape }) => {
    const before = tf.memory().numTensors;
    const feedForward = new FeedForward({ dim: 6, hiddenDim: 11 }); // odd hidden width
    tf.tidy(() => {
      feedForward.gateProj.weight.assign(tf.tensor2d(randomValues(66, 7), [6, 11]));
      feedForward.upProj.weight.assign(tf.tensor2d(randomValues(66, 8), [6, 11]));
      feedForward.downProj.weight.assign(tf.tensor2d(randomValues(66, 9), [11, 6]));
    });
    const x = tf.tensor(randomValues(tf.util.sizeFromShape(shape), 10), shape);
    const fused = feedForward.apply(x);
    const reference = withCompositeOps(() => feedForward.apply(x));
    expect(fused.shape).toEqual(shape);
    expectClose(fused.dataSync(), reference.dataSync(), 1e-5);
    tf.dispose([x, fused, reference]);
    feedForward.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
