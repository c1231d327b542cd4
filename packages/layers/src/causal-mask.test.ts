import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { causalMask, MASKED_SCORE, paddingMask } from './index.js';

const M = MASKED_SCORE;

describe.each(PARITY_BACKENDS)('causalMask and paddingMask on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('lets query t see keys 0 … t of a square sequence', () => {
    const before = tf.memory().numTensors;
    const mask = causalMask(3, 3);
    expect(mask.shape).toEqual([3, 3]);
    expect(Array.from(mask.dataSync())).toEqual([0, M, M, 0, 0, M, 0, 0, 0]);
    mask.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('places new queries after cached keys by default (offset = Tk − T), or at an explicit offset', () => {
    const before = tf.memory().numTensors;
    const afterCache = causalMask(2, 4); // queries at positions 2 and 3
    expect(Array.from(afterCache.dataSync())).toEqual([0, 0, 0, M, 0, 0, 0, 0]);
    const explicit = causalMask(2, 4, 0); // queries at positions 0 and 1 of a 4-key window
    expect(Array.from(explicit.dataSync())).toEqual([0, M, M, M, 0, 0, M, M]);
    expect(() => causalMask(4, 2)).toThrow('causalMask: 4 queries cannot follow 2 keys');
    tf.dispose([afterCache, explicit]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives masked keys exactly zero softmax weight', () => {
    const before = tf.memory().numTensors;
    const weights = tf.tidy(() => tf.softmax(tf.add(tf.tensor2d([[30, -20, 50, 10]]), causalMask(1, 4, 1))));
    const values = Array.from(weights.dataSync());
    expect(values[2]).toBe(0);
    expect(values[3]).toBe(0);
    expect(values[0]! + values[1]!).toBeCloseTo(1, 6);
    weights.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('turns a 0/1 keep mask [B, Tk] into an additive [B, 1, 1, Tk] mask, for any dtype', () => {
    const before = tf.memory().numTensors;
    for (const dtype of ['int32', 'float32', 'bool'] as const) {
      const mask = tf.tidy(() =>
        paddingMask(
          tf.tensor2d(
            [
              [0, 1, 1],
              [1, 1, 0],
            ],
            [2, 3],
            dtype,
          ),
        ),
      );
      expect(mask.shape).toEqual([2, 1, 1, 3]);
      expect(mask.dtype).toBe('float32');
      // (1 − keep) · MASKED_SCORE yields −0 for kept keys; adding 0 folds it to +0, the same additive mask.
      expect(Array.from(mask.dataSync(), (v) => v + 0)).toEqual([M, 0, 0, 0, 0, M]);
      mask.dispose();
    }
    tf.tidy(() => {
      expect(() => paddingMask(tf.ones([3]))).toThrow('paddingMask: mask has shape [3], expected [B, Tk]');
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
