import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { canUseFusedKernel } from './fused-kernel-switch.js';
import { FUSED_RMS_NORM, fusedRmsNorm } from './fused-rms-norm.js';
import { RmsNorm } from './index.js';
import { expectClose, randomValues, withCompositeOps } from './test-helpers.js';

describe.each(['cpu', 'wasm'] as const)('fused RMSNorm on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it.each([
    { label: 'one row (a decoded token)', shape: [1, 1, 64] },
    { label: 'an odd dim over several rows', shape: [2, 3, 7] },
    { label: 'a 2-D input', shape: [5, 3] },
  ])('equals the composite for $label', ({ shape }) => {
    const before = tf.memory().numTensors;
    const dim = shape[shape.length - 1]!;
    const norm = new RmsNorm({ dim, eps: 1e-2 });
    tf.tidy(() => norm.weight.assign(tf.tensor1d(randomValues(dim, 3))));
    const size = tf.util.sizeFromShape(shape);
    // rows of very different scales, so eps and the per-row scale both matter
    const x = tf.tensor(
      randomValues(size, 4).map((v, i) => v * 10 ** (Math.floor(i / dim) % 3)),
      shape,
    );
    expect(canUseFusedKernel(FUSED_RMS_NORM)).toBe(true);
    const fused = fusedRmsNorm(x, norm.weight, norm.eps);
    const reference = withCompositeOps(() => norm.apply(x));
    expect(fused.shape).toEqual(shape);
    expectClose(fused.dataSync(), reference.dataSync(), 1e-6);
    // RmsNorm.apply takes the fused path by default here
    const applied = norm.apply(x);
    expect(Array.from(applied.dataSync())).toEqual(Array.from(fused.dataSync()));
    tf.dispose([x, fused, reference, applied]);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is not used while a gradient is recorded, so RmsNorm still trains', () => {
    const before = tf.memory().numTensors;
    const norm = new RmsNorm({ dim: 4 });
    const seen: boolean[] = [];
    const { value, grads } = tf.variableGrads(() => {
      seen.push(canUseFusedKernel(FUSED_RMS_NORM));
      return tf.sum(norm.apply(tf.tensor2d([[1, 2, 3, 4]]))) as tf.Scalar;
    });
    expect(seen).toEqual([false]);
    expect(grads[norm.weight.name]!.shape).toEqual([4]);
    tf.dispose([value, grads]);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(['cpu', 'wasm'] as const)('fused residual add + RMSNorm on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it.each([
    { label: 'one row (a decoded token)', shape: [1, 1, 64] },
    { label: 'an odd dim over several rows', shape: [2, 3, 7] },
  ])('gives the composite sum and norm for $label', ({ shape }) => {
    const before = tf.memory().numTensors;
    const dim = shape[shape.length - 1]!;
    const norm = new RmsNorm({ dim });
    tf.tidy(() => norm.weight.assign(tf.tensor1d(randomValues(dim, 13))));
    const size = tf.util.sizeFromShape(shape);
    const x = tf.tensor(randomValues(size, 14, 3), shape);
    const residual = tf.tensor(randomValues(size, 15), shape);
    const [sum, normed] = norm.addAndApply(x, residual);
    const [referenceSum, referenceNormed] = withCompositeOps(() => norm.addAndApply(x, residual));
    expect(Array.from(sum!.dataSync())).toEqual(Array.from(referenceSum!.dataSync())); // float32 adds alike
    expectClose(normed!.dataSync(), referenceNormed!.dataSync(), 1e-6);
    expect(normed!.shape).toEqual(shape);
    tf.dispose([x, residual, sum!, normed!, referenceSum!, referenceNormed!]);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects inputs of different shapes', () => {
    const before = tf.memory().numTensors;
    const norm = new RmsNorm({ dim: 4 });
    tf.tidy(() => {
      expect(() => norm.addAndApply(tf.zeros([2, 4]), tf.zeros([1, 4]))).toThrow(/expected two equal/);
    });
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
