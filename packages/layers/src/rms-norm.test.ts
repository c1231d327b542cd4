import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { RmsNorm } from './index.js';
import { expectClose, randomValues } from './test-helpers.js';

/** Plain-JS (float64) RMSNorm over the last axis of row-major [rows, dim]: x / sqrt(mean(x²) + eps) · weight. */
function referenceRmsNorm(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  dim: number,
  eps: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let row = 0; row < x.length / dim; row++) {
    let sumSquares = 0;
    for (let d = 0; d < dim; d++) sumSquares += x[row * dim + d]! ** 2;
    const scale = 1 / Math.sqrt(sumSquares / dim + eps);
    for (let d = 0; d < dim; d++) out[row * dim + d] = x[row * dim + d]! * scale * weight[d]!;
  }
  return out;
}

/** Σ referenceRmsNorm(x, weight) ⊙ upstream: the scalar whose gradient the tests check. */
function referenceLoss(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  upstream: ArrayLike<number>,
  dim: number,
  eps: number,
) {
  const y = referenceRmsNorm(x, weight, dim, eps);
  return y.reduce((sum, value, i) => sum + value * upstream[i]!, 0);
}

/** Central finite differences of `loss` at `point`, in float64 (so step 1e-6 is accurate to ~1e-9). */
function finiteDifferences(point: ArrayLike<number>, loss: (values: Float64Array) => number): Float64Array {
  const step = 1e-6;
  const values = Float64Array.from(point);
  const gradient = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const original = values[i]!;
    values[i] = original + step;
    const up = loss(values);
    values[i] = original - step;
    const down = loss(values);
    values[i] = original;
    gradient[i] = (up - down) / (2 * step);
  }
  return gradient;
}

const DIM = 6;
const SHAPE = [2, 3, DIM];
const SIZE = 2 * 3 * DIM;

describe.each(PARITY_BACKENDS)('RmsNorm on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('equals a plain-JS x / sqrt(mean(x²) + eps) · weight', () => {
    const before = tf.memory().numTensors;
    const eps = 1e-2; // large enough that dropping or misplacing eps would show
    const norm = new RmsNorm({ dim: DIM, eps });
    const weight = randomValues(DIM, 11);
    // Rows of very different scales: the norm must bring each to the same one.
    const x = randomValues(SIZE, 12).map((v, i) => v * 10 ** (Math.floor(i / DIM) % 3));
    tf.tidy(() => norm.weight.assign(tf.tensor1d(weight)));
    const y = tf.tidy(() => norm.apply(tf.tensor(x, SHAPE)));
    expect(y.shape).toEqual(SHAPE);
    expectClose(y.dataSync(), referenceRmsNorm(x, weight, DIM, eps), 1e-5);
    y.dispose();
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts with weight 1 and eps 1e-5 (Llama 2), giving rows of unit RMS', () => {
    const before = tf.memory().numTensors;
    const norm = new RmsNorm({ dim: DIM });
    expect(norm.eps).toBe(1e-5);
    expect(Array.from(norm.weight.dataSync())).toEqual(new Array(DIM).fill(1));
    expect(Object.keys(norm.parameters())).toEqual(['weight']);
    const y = tf.tidy(() => norm.apply(tf.tensor(randomValues(SIZE, 13), SHAPE)));
    const values = y.dataSync() as Float32Array;
    for (let row = 0; row < SIZE / DIM; row++) {
      const meanSquare = values.slice(row * DIM, (row + 1) * DIM).reduce((sum, v) => sum + v * v, 0) / DIM;
      expect(meanSquare).toBeCloseTo(1, 3);
    }
    y.dispose();
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has input and weight gradients equal to float64 central finite differences', () => {
    const before = tf.memory().numTensors;
    const eps = 1e-3;
    const norm = new RmsNorm({ dim: DIM, eps });
    const weight = randomValues(DIM, 14).map((v) => 1 + 0.5 * v);
    const x = randomValues(SIZE, 15);
    const upstream = randomValues(SIZE, 16);
    tf.tidy(() => norm.weight.assign(tf.tensor1d(weight)));
    const [inputGrad, weightGrad] = tf.tidy(() => {
      const dy = tf.tensor(upstream, SHAPE);
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(norm.apply(input), dy)) as tf.Scalar;
      const input = tf.tensor(x, SHAPE);
      const { grads } = tf.variableGrads(() => loss(input));
      return [tf.grad(loss)(input), grads[norm.weight.name]!];
    });
    expect(inputGrad.shape).toEqual(SHAPE);
    expectClose(
      inputGrad.dataSync(),
      finiteDifferences(x, (values) => referenceLoss(values, weight, upstream, DIM, eps)),
      1e-4,
    );
    expectClose(
      weightGrad.dataSync(),
      finiteDifferences(weight, (values) => referenceLoss(x, values, upstream, DIM, eps)),
      1e-4,
    );
    tf.dispose([inputGrad, weightGrad]);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a wrong last dimension and bad config with messages that name them', () => {
    const before = tf.memory().numTensors;
    const norm = new RmsNorm({ dim: DIM });
    tf.tidy(() => {
      expect(() => norm.apply(tf.zeros([2, DIM + 1]))).toThrow(
        `RmsNorm: input has shape [2,${DIM + 1}], expected last dimension ${DIM}`,
      );
    });
    expect(() => new RmsNorm({ dim: 0 })).toThrow('RmsNorm: dim must be a positive integer, got 0');
    expect(() => new RmsNorm({ dim: 4, eps: 0 })).toThrow('RmsNorm: eps must be positive, got 0');
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
