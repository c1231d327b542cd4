import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { canRunFused, FUSED, RmsNorm, rmsNorm } from '../index.js';
import { expectClose, randomValues, withCompositeOps } from '../test-helpers.js';
import { registerFusedKernels } from './index.js';

describe.each(['cpu', 'wasm'] as const)('fused RMSNorm on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
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
    expect(canRunFused(FUSED.rmsNorm)).toBe(true);
    const fused = rmsNorm(x, norm.weight, norm.eps);
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
      seen.push(canRunFused(FUSED.rmsNorm));
      return tf.sum(norm.apply(tf.tensor2d([[1, 2, 3, 4]]))) as tf.Scalar;
    });
    expect(seen).toEqual([false]);
    expect(grads[norm.weight.name]!.shape).toEqual([4]);
    tf.dispose([value, grads]);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
