import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { attendBatched } from '../attention.js';
import { causalMask, FUSED, MASKED_SCORE } from '../index.js';
import { expectClose, randomValues, runKernel } from '../test-helpers.js';
import { registerFusedKernels } from './index.js';

/** The attention kernel itself: q, k, v [B, nKv, ·, hd], mask or null → merged heads [B·T, nHeads·hd]. */
function fusedAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor | null,
  { groupSize, keyLength = k.shape[2] as number }: { groupSize: number; keyLength?: number },
): tf.Tensor {
  const inputs: tf.NamedTensorMap = mask ? { q, k, v, mask } : { q, k, v };
  return runKernel(FUSED.attention, inputs, { groupSize, keyLength })[0]!;
}

const B = 2;
const N_HEADS = 4;

interface Case {
  label: string;
  nKvHeads: number;
  headDim: number;
  T: number;
  keyLength: number;
  mask: 'none' | 'causal' | 'padding';
}

/** The composite: attendBatched with the mask repeated for the group, then GroupedQueryAttention's merge. */
function composite(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor | null,
  { nKvHeads, headDim, T }: Case,
) {
  return tf.tidy(() => {
    const groupSize = N_HEADS / nKvHeads;
    const grouped = mask && mask.shape[2] !== 1 ? tf.tile(mask, [1, 1, groupSize, 1]) : mask;
    const heads = attendBatched(q, k, v, grouped); // [B, nKv, G·T, hd]
    const merged = tf.transpose(tf.reshape(heads, [B, N_HEADS, T, headDim]), [0, 2, 1, 3]); // [B, T, nHeads, hd]
    return tf.reshape(merged, [B * T, N_HEADS * headDim]);
  });
}

/** The mask a case asks for: causal [1, 1, T, Tk] (T new tokens after Tk − T cached), padding [B, 1, 1, Tk]. */
function maskFor({ mask, T, keyLength }: Case): tf.Tensor | null {
  if (mask === 'causal') return tf.tidy(() => tf.reshape(causalMask(T, keyLength), [1, 1, T, keyLength]));
  if (mask === 'padding') {
    const padding = new Float32Array(B * keyLength);
    padding[0] = MASKED_SCORE; // row 0's first key is a pad
    padding[keyLength + keyLength - 1] = MASKED_SCORE; // row 1's last key too
    return tf.tensor4d(padding, [B, 1, 1, keyLength]);
  }
  return null;
}

const CASES: Case[] = [
  { label: 'G = 1, one token, cache length 1', nKvHeads: 4, headDim: 8, T: 1, keyLength: 1, mask: 'none' },
  { label: 'G = 2, one token after 6 cached', nKvHeads: 2, headDim: 8, T: 1, keyLength: 7, mask: 'none' },
  { label: 'G = 4, odd head dim 6', nKvHeads: 1, headDim: 6, T: 1, keyLength: 5, mask: 'none' },
  {
    label: 'G = 2, head dim 12 (8 + 4), causal chunk',
    nKvHeads: 2,
    headDim: 12,
    T: 3,
    keyLength: 5,
    mask: 'causal',
  },
  { label: 'G = 1, padding mask', nKvHeads: 4, headDim: 8, T: 2, keyLength: 4, mask: 'padding' },
  {
    label: 'G = 2, head dim 16, padding mask',
    nKvHeads: 2,
    headDim: 16,
    T: 1,
    keyLength: 9,
    mask: 'padding',
  },
];

describe.each(['cpu', 'wasm'] as const)('fused attention on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
  });

  it.each(CASES)('equals the batched composite with merged heads, $label', (testCase) => {
    const before = tf.memory().numTensors;
    const { nKvHeads, headDim, T, keyLength } = testCase;
    const rows = (N_HEADS / nKvHeads) * T;
    const q = tf.tensor4d(randomValues(B * nKvHeads * rows * headDim, 1, 2), [B, nKvHeads, rows, headDim]);
    const k = tf.tensor4d(randomValues(B * nKvHeads * keyLength * headDim, 2, 2), [
      B,
      nKvHeads,
      keyLength,
      headDim,
    ]);
    const v = tf.tensor4d(randomValues(B * nKvHeads * keyLength * headDim, 3), [
      B,
      nKvHeads,
      keyLength,
      headDim,
    ]);
    const mask = maskFor(testCase);
    const fused = fusedAttention(q, k, v, mask, { groupSize: N_HEADS / nKvHeads });
    const reference = composite(q, k, v, mask, testCase);
    expect(fused.shape).toEqual([B * T, N_HEADS * headDim]);
    expectClose(fused.dataSync(), reference.dataSync(), 1e-5);
    tf.dispose([q, k, v, fused, reference]);
    mask?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads only the first keyLength positions of keys and values with spare room (a cache buffer)', () => {
    const before = tf.memory().numTensors;
    const [nKvHeads, headDim, keyLength, room] = [2, 8, 3, 8];
    const stored = (seed: number) => {
      const values = randomValues(B * nKvHeads * room * headDim, seed);
      // positions after keyLength hold huge values: attending to them would swamp the result
      for (let head = 0; head < B * nKvHeads; head++) {
        values.fill(1e4, (head * room + keyLength) * headDim, (head + 1) * room * headDim);
      }
      return tf.tensor4d(values, [B, nKvHeads, room, headDim]);
    };
    const [keyBuffer, valueBuffer] = [stored(4), stored(5)];
    const q = tf.tensor4d(randomValues(B * N_HEADS * headDim, 6), [B, nKvHeads, N_HEADS / nKvHeads, headDim]);
    const size = [B, nKvHeads, keyLength, headDim];
    const fused = fusedAttention(q, keyBuffer, valueBuffer, null, { groupSize: 2, keyLength });
    const reference = tf.tidy(() =>
      composite(q, tf.slice(keyBuffer, 0, size), tf.slice(valueBuffer, 0, size), null, {
        label: '',
        nKvHeads,
        headDim,
        T: 1,
        keyLength,
        mask: 'none',
      }),
    );
    expectClose(fused.dataSync(), reference.dataSync(), 1e-5);
    tf.dispose([keyBuffer, valueBuffer, q, fused, reference]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a mask that does not fit the scores, and keys that do not fit the queries', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const q = tf.zeros([1, 2, 2, 4]);
      const k = tf.zeros([1, 2, 3, 4]);
      expect(() => fusedAttention(q, k, k, tf.zeros([1, 1, 1, 2]), { groupSize: 2 })).toThrow(
        /does not broadcast/,
      );
      expect(() => fusedAttention(q, tf.zeros([1, 1, 3, 4]), k, null, { groupSize: 2 })).toThrow(
        /do not match/,
      );
      expect(() => fusedAttention(q, k, k, null, { groupSize: 2, keyLength: 4 })).toThrow(/do not match/);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
