import { useBackend } from '@mini-llama/backends';
import { Linear } from '@mini-llama/layers';
import { Random } from '@mini-llama/model';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoraLinear } from './lora-linear.js';
import { maxAbsDiff } from './test-helpers.js';

const [IN, OUT, RANK, ROWS] = [6, 5, 3, 4];

function seededLinear(): Linear {
  const linear = new Linear({ inFeatures: IN, outFeatures: OUT });
  const values = new Random(11).normalArray(IN * OUT, 0.5);
  tf.tidy(() => linear.weight.assign(tf.tensor2d(values, [IN, OUT])));
  return linear;
}

/** a [n, k] · b [k, m] in float64, row-major. */
function product(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += a[i * k + t]! * b[t * m + j]!;
      out[i * m + j] = sum;
    }
  return out;
}

function transposed(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance * (1 + Math.abs(expected[i]!)))) {
      expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe.each(PARITY_BACKENDS)('LoraLinear on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('computes exactly the base layer while B is zero (a fresh adapter)', () => {
    const before = tf.memory().numTensors;
    const linear = seededLinear();
    const x = tf.tensor3d(new Random(2).normalArray(2 * 2 * IN), [2, 2, IN]);
    const base = linear.apply(x);
    const lora = new LoraLinear(linear);
    lora.addAdapter('default', { rank: RANK, scale: 2, random: new Random(5) });
    expect(lora.state.active).toBe('default');
    const adapted = lora.apply(x);
    expect(adapted.shape).toEqual([2, 2, OUT]);
    expect(Array.from(adapted.dataSync())).toEqual(Array.from(base.dataSync()));
    // Kaiming-uniform with a = √5: every value of A within ±1/√in, and not all zero
    const a = lora.weights('default').a.dataSync();
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(IN));
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0);
    tf.dispose([x, base, adapted]);
    lora.dispose();
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('h = x·W + scale·x·A·B, and its gradients for A and B are the hand-derived ones', () => {
    const before = tf.memory().numTensors;
    const linear = seededLinear();
    const lora = new LoraLinear(linear);
    const { a, b } = lora.addAdapter('default', { rank: RANK, scale: 1.5 });
    const random = new Random(9);
    tf.tidy(() => {
      a.assign(tf.tensor2d(random.normalArray(IN * RANK), [IN, RANK]));
      b.assign(tf.tensor2d(random.normalArray(RANK * OUT), [RANK, OUT]));
    });
    const xValues = random.normalArray(ROWS * IN);
    const upstream = random.normalArray(ROWS * OUT); // dL/dh
    const x = tf.tensor2d(xValues, [ROWS, IN]);
    const g = tf.tensor2d(upstream, [ROWS, OUT]);
    const [W, A, B] = [linear.weight.dataSync(), a.dataSync(), b.dataSync()];
    const xa = product(xValues, A, ROWS, IN, RANK); // [N, r]
    const expected = product(xValues, W, ROWS, IN, OUT).map(
      (value, i) => value + 1.5 * product(xa, B, ROWS, RANK, OUT)[i]!,
    );
    const h = lora.apply(x);
    expectClose(h.dataSync(), expected, 1e-5);

    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(lora.apply(x), g)) as tf.Scalar, [a, b]);
    // dL/dB = scale·(x·A)ᵀ·g,  dL/dA = scale·xᵀ·(g·Bᵀ)
    const gradB = product(transposed(xa, ROWS, RANK), upstream, RANK, ROWS, OUT).map((v) => 1.5 * v);
    const gBt = product(upstream, transposed(B, RANK, OUT), ROWS, OUT, RANK);
    const gradA = product(transposed(xValues, ROWS, IN), gBt, IN, ROWS, RANK).map((v) => 1.5 * v);
    expectClose(grads[b.name]!.dataSync(), gradB, 1e-5);
    expectClose(grads[a.name]!.dataSync(), gradA, 1e-5);
    expect(grads[linear.weight.name]).toBeUndefined(); // only what was asked for
    tf.dispose([x, g, h, value, grads]);
    lora.dispose();
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('merge folds scale·A·B into W with the same outputs; unmerge gives W back', () => {
    const before = tf.memory().numTensors;
    const linear = seededLinear();
    const original = Float32Array.from(linear.weight.dataSync());
    const lora = new LoraLinear(linear);
    const { b } = lora.addAdapter('default', { rank: RANK, scale: 2 });
    tf.tidy(() => b.assign(tf.tensor2d(new Random(4).normalArray(RANK * OUT), [RANK, OUT])));
    const x = tf.tensor2d(new Random(8).normalArray(ROWS * IN), [ROWS, IN]);
    const unmerged = lora.apply(x);
    lora.merge('default');
    expect(lora.isMerged('default')).toBe(true);
    expect(() => lora.merge('default')).toThrow('is merged already');
    const merged = lora.apply(x);
    expect(maxAbsDiff(merged, unmerged)).toBeLessThan(1e-5);
    const delta = lora.delta('default');
    const expectedWeight = tf.tidy(() => tf.add(tf.tensor2d(original, [IN, OUT]), delta));
    expect(maxAbsDiff(linear.weight, expectedWeight)).toBe(0);
    expect(() => lora.deleteAdapter('default')).toThrow('unmerge it first');
    lora.unmerge('default');
    expectClose(linear.weight.dataSync(), original, 1e-6);
    const again = lora.apply(x);
    expect(maxAbsDiff(again, unmerged)).toBeLessThan(1e-5);
    tf.dispose([x, unmerged, merged, delta, expectedWeight, again]);
    lora.dispose();
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('drops adapter inputs only while training and recording gradients', () => {
    const before = tf.memory().numTensors;
    const linear = seededLinear();
    const lora = new LoraLinear(linear);
    const { a, b } = lora.addAdapter('default', { rank: RANK, scale: 1, dropout: 0.5 });
    tf.tidy(() => b.assign(tf.ones([RANK, OUT])));
    const x = tf.tensor2d(new Random(3).normalArray(ROWS * IN), [ROWS, IN]);
    const plain = lora.apply(x); // no gradient recording: no dropout
    const exact = tf.tidy(() => tf.add(tf.matMul(x, linear.weight), tf.matMul(tf.matMul(x, a), b)));
    expect(maxAbsDiff(plain, exact)).toBeLessThan(1e-5);
    let recorded: tf.Tensor = tf.scalar(0);
    const training = tf.variableGrads(() => {
      const h = lora.apply(x);
      recorded.dispose();
      recorded = tf.keep(tf.clone(h));
      return tf.sum(h) as tf.Scalar;
    }, [a]);
    expect(maxAbsDiff(recorded, plain)).toBeGreaterThan(1e-3); // some inputs were dropped
    lora.state.training = false; // evaluation mode: no dropout even with the tape on
    const evaluating = tf.variableGrads(() => {
      const h = lora.apply(x);
      recorded.dispose();
      recorded = tf.keep(tf.clone(h));
      return tf.sum(h) as tf.Scalar;
    }, [a]);
    expect(maxAbsDiff(recorded, plain)).toBeLessThan(1e-5);
    tf.dispose([
      x,
      plain,
      exact,
      recorded,
      training.value,
      training.grads,
      evaluating.value,
      evaluating.grads,
    ]);
    lora.dispose();
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs the base alone when disabled or when no adapter is active; leaves the base on dispose', () => {
    const before = tf.memory().numTensors;
    const linear = seededLinear();
    const x = tf.tensor2d(new Random(1).normalArray(ROWS * IN), [ROWS, IN]);
    const base = linear.apply(x);
    const lora = new LoraLinear(linear);
    expect(() => new LoraLinear(lora)).toThrow('is a LoRA layer already');
    // the base's weight and parameters, so a model's parameters keep their names and values
    expect(lora.weight).toBe(linear.weight);
    expect(lora.parameters()).toEqual(linear.parameters());
    const { b } = lora.addAdapter('one', { rank: 2, scale: 1 });
    tf.tidy(() => b.assign(tf.ones(b.shape)));
    const adapted = lora.apply(x);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3);
    lora.state.enabled = false;
    const disabled = lora.apply(x);
    expect(maxAbsDiff(disabled, base)).toBe(0);
    lora.state.enabled = true;
    lora.state.active = null;
    const inactive = lora.apply(x);
    expect(maxAbsDiff(inactive, base)).toBe(0);
    lora.dispose();
    expect(linear.weight.dataSync().length).toBe(IN * OUT); // the base belongs to the model: still alive
    tf.dispose([x, base, adapted, disabled, inactive]);
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a second adapter of the same name and a bad rank, and names a missing adapter', () => {
    const linear = seededLinear();
    const lora = new LoraLinear(linear);
    lora.addAdapter('x', { rank: 2, scale: 1 });
    expect(() => lora.addAdapter('x', { rank: 2, scale: 1 })).toThrow('adapter "x" exists already');
    expect(() => lora.addAdapter('y', { rank: 0, scale: 1 })).toThrow(
      'rank must be a positive integer, got 0',
    );
    expect(() => lora.weights('z')).toThrow('no adapter "z" on this layer');
    lora.dispose();
    linear.dispose();
  });
});

describe.each(PARITY_BACKENDS)('LoraLinear.setAdapterWeight on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('runs α·scale·A·B: 0 is the base layer, 1 the adapter, and any α on the line between', () => {
    const before = tf.memory().numTensors;
    const linear = seededLinear();
    const lora = new LoraLinear(linear);
    const { b } = lora.addAdapter('default', { rank: RANK, scale: 2, random: new Random(5) });
    tf.tidy(() => b.assign(tf.tensor2d(new Random(6).normalArray(RANK * OUT), [RANK, OUT])));
    const x = tf.tensor2d(new Random(7).normalArray(ROWS * IN), [ROWS, IN]);
    const base = linear.apply(x);
    const full = lora.apply(x);
    lora.setAdapterWeight('default', 0);
    const none = lora.apply(x);
    expect(maxAbsDiff(none, base)).toBeLessThan(1e-6);
    lora.setAdapterWeight('default', 0.3);
    const partial = lora.apply(x);
    const line = tf.tidy(() => tf.add(base, tf.mul(tf.sub(full, base), 0.3)));
    expect(maxAbsDiff(partial, line)).toBeLessThan(1e-5);
    // merging bakes in the weighted update; the weight cannot change while merged
    lora.merge('default');
    const merged = linear.apply(x);
    expect(maxAbsDiff(merged, line)).toBeLessThan(1e-5);
    expect(() => lora.setAdapterWeight('default', 1)).toThrow('is merged; unmerge it first');
    lora.unmerge('default');
    expect(() => lora.setAdapterWeight('default', Number.NaN)).toThrow('must be finite');
    tf.dispose([x, base, full, none, partial, line, merged]);
    lora.dispose();
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
