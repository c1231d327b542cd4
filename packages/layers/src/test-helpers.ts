// Shared by this package's tests (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { FUSED } from './fused-kernel-names.js';
import { registerFusedKernels, unregisterFusedKernels } from './kernels/index.js';

/** Deterministic values in [-scale, scale) (mulberry32), so a failure reproduces. */
export function randomValues(size: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = scale * (((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1);
  }
  return out;
}

/** Element-wise |actual − expected| ≤ tolerance · (1 + |expected|), naming the first element that is not. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tolerance * (1 + Math.abs(e)))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (tolerance ${tolerance})`);
    }
  }
}

/** x [rows, inF] · W [inF, outF] in float64. */
export function project(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  rows: number,
  inF: number,
  outF: number,
) {
  const out = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let sum = 0;
      for (let i = 0; i < inF; i++) sum += x[r * inF + i]! * weight[i * outF + o]!;
      out[r * outF + o] = sum;
    }
  }
  return out;
}

/** Runs `run` with the fused inference kernels unregistered: the composite reference they are tested against. */
export function withCompositeOps<T>(run: () => T): T {
  const registered = tf.getKernel(FUSED.rmsNorm, tf.getBackend()) !== undefined;
  unregisterFusedKernels();
  try {
    return run();
  } finally {
    if (registered) registerFusedKernels();
  }
}

/** Runs a fused kernel itself (it must be registered for the current backend), whatever the dispatch says. */
export function runKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
}
