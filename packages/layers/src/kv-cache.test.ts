import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { LayerKvCache } from './index.js';
import { registerFusedKernels } from './kernels/index.js';
import { withCompositeOps } from './test-helpers.js';

/** [1, 2, length, 3] with entry (h, t, d) = start + 100h + 10t + d, so every value names its place. */
function block(start: number, length: number): tf.Tensor4D {
  const values: number[] = [];
  for (let h = 0; h < 2; h++) {
    for (let t = 0; t < length; t++) for (let d = 0; d < 3; d++) values.push(start + 100 * h + 10 * t + d);
  }
  return tf.tensor4d(values, [1, 2, length, 3]);
}

describe.each(PARITY_BACKENDS)('LayerKvCache on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('starts empty and appends along the time axis', () => {
    const before = tf.memory().numTensors;
    const cache = new LayerKvCache();
    expect(cache.length).toBe(0);
    expect(cache.keys).toBeNull();
    expect(cache.values).toBeNull();

    tf.tidy(() => {
      cache.append(block(0, 2), block(1000, 2));
    });
    expect(cache.length).toBe(2);
    tf.tidy(() => {
      const { keys, values, length } = cache.append(block(20, 1), block(1020, 1)); // step 2 continues the pattern
      expect(length).toBe(3);
      expect(keys).toBe(cache.keys); // concatenated: exactly the stored positions, no spare room
      expect(values).toBe(cache.values);
    });
    expect(cache.length).toBe(3);
    expect(cache.keys!.shape).toEqual([1, 2, 3, 3]);
    // The appended blocks carry on 0, 10, 20 … along t, so the stored cache equals one block of length 3.
    const [expectedKeys, expectedValues] = [block(0, 3), block(1000, 3)];
    expect(Array.from(cache.keys!.dataSync())).toEqual(Array.from(expectedKeys.dataSync()));
    expect(Array.from(cache.values!.dataSync())).toEqual(Array.from(expectedValues.dataSync()));
    tf.dispose([expectedKeys, expectedValues]);

    cache.dispose();
    expect(cache.length).toBe(0);
    expect(cache.keys).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('holds exactly two tensors however many times it grows, and owns copies of its inputs', () => {
    const before = tf.memory().numTensors;
    const cache = new LayerKvCache();
    const firstKeys = block(0, 1);
    const firstValues = block(0, 1);
    cache.append(firstKeys, firstValues);
    // The caller may dispose what it appended: the cache stored clones.
    tf.dispose([firstKeys, firstValues]);
    expect(tf.memory().numTensors).toBe(before + 2);
    for (let step = 1; step < 6; step++) {
      tf.tidy(() => {
        cache.append(block(10 * step, 1), block(10 * step, 1));
      });
      expect(tf.memory().numTensors).toBe(before + 2);
    }
    expect(cache.length).toBe(6);
    expect(cache.keys!.dataSync()[5 * 3]).toBe(50); // h 0, t 5, d 0
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects keys or values that are not [B, nKvHeads, T, headDim]', () => {
    const before = tf.memory().numTensors;
    const cache = new LayerKvCache();
    tf.tidy(() => {
      expect(() => cache.append(tf.zeros([2, 3, 4]), tf.zeros([1, 2, 3, 4]))).toThrow(
        'LayerKvCache: keys [2,3,4] and values [1,2,3,4] must be 4-D',
      );
    });
    expect(cache.length).toBe(0);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(['cpu', 'wasm'] as const)('LayerKvCache with the fused in-place write on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
  });

  it('stores what concatenation stores, growing its buffers past their first room', () => {
    const before = tf.memory().numTensors;
    const inPlace = new LayerKvCache();
    const concatenated = new LayerKvCache();
    for (let step = 0; step < 20; step++) {
      const length = step === 0 ? 2 : 1; // a prompt of 2, then one position at a time
      const start = step === 0 ? 0 : 10 * (step + 1);
      tf.tidy(() => {
        const buffers = inPlace.append(block(start, length), block(1000 + start, length));
        withCompositeOps(() => concatenated.append(block(start, length), block(1000 + start, length)));
        expect(buffers.length).toBe(concatenated.length);
        expect(buffers.keys.shape[2]).toBeGreaterThanOrEqual(buffers.length);
      });
      // two buffers, however often they grew
      expect(tf.memory().numTensors).toBe(before + 4);
    }
    expect(inPlace.length).toBe(21);
    expect(inPlace.keys!.shape).toEqual([1, 2, 21, 3]);
    expect(Array.from(inPlace.keys!.dataSync())).toEqual(Array.from(concatenated.keys!.dataSync()));
    expect(Array.from(inPlace.values!.dataSync())).toEqual(Array.from(concatenated.values!.dataSync()));
    inPlace.dispose();
    concatenated.dispose();
    expect(inPlace.length).toBe(0);
    expect(inPlace.keys).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mixes with concatenation in either order, and its keys view follows every append', () => {
    const before = tf.memory().numTensors;
    const cache = new LayerKvCache();
    tf.tidy(() => {
      withCompositeOps(() => cache.append(block(0, 2), block(1000, 2)));
      cache.append(block(20, 1), block(1020, 1));
    });
    const firstThree = block(0, 3);
    expect(Array.from(cache.keys!.dataSync())).toEqual(Array.from(firstThree.dataSync()));
    firstThree.dispose();
    tf.tidy(() => {
      cache.append(block(30, 1), block(1030, 1)); // the view read above is now stale and released
    });
    expect(cache.keys!.shape).toEqual([1, 2, 4, 3]);
    tf.tidy(() => {
      withCompositeOps(() => cache.append(block(40, 2), block(1040, 2)));
    });
    const [keys, values] = tf.tidy(() => [block(0, 6), block(1000, 6)]);
    expect(Array.from(cache.keys!.dataSync())).toEqual(Array.from(keys!.dataSync()));
    expect(Array.from(cache.values!.dataSync())).toEqual(Array.from(values!.dataSync()));
    tf.dispose([keys!, values!]);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
