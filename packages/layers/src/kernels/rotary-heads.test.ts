import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FUSED, type HeadLayout, RotaryEmbedding, type RotaryTables } from '../index.js';
import { randomValues, runKernel } from '../test-helpers.js';
import { registerFusedKernels } from './index.js';

/** The rotary-heads kernel itself: projections and tables → q (scaled, grouped), k, v by head. */
function fusedRotaryHeads(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  tables: RotaryTables,
  layout: HeadLayout,
) {
  return runKernel(FUSED.rotaryHeads, { q, k, v, cos: tables.cos, sin: tables.sin }, layout);
}

const B = 2;
const T = 3;
const N_HEADS = 4;
const HEAD_DIM = 6; // three pairs: not a multiple of anything convenient

/** GroupedQueryAttention.apply's composite steps from the projections to q, k, v by head. */
function compositeHeads(
  q2d: tf.Tensor,
  k2d: tf.Tensor,
  v2d: tf.Tensor,
  rotary: RotaryEmbedding,
  tables: RotaryTables,
  nKvHeads: number,
): tf.Tensor[] {
  return tf.tidy(() => {
    const q = rotary.apply(tf.reshape(q2d, [B, T, N_HEADS, HEAD_DIM]), tables);
    const k = rotary.apply(tf.reshape(k2d, [B, T, nKvHeads, HEAD_DIM]), tables);
    const v = tf.reshape(v2d, [B, T, nKvHeads, HEAD_DIM]);
    const scaled = tf.mul(tf.transpose(q, [0, 2, 1, 3]), 1 / Math.sqrt(HEAD_DIM)); // [B, nHeads, T, hd]
    return [
      tf.reshape(scaled, [B, nKvHeads, (N_HEADS / nKvHeads) * T, HEAD_DIM]), // [B, nKv, G·T, hd]
      tf.transpose(k, [0, 2, 1, 3]), // [B, nKv, T, hd]
      tf.transpose(v, [0, 2, 1, 3]), // [B, nKv, T, hd]
    ];
  });
}

describe.each(['cpu', 'wasm'] as const)('fused rotary heads on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
  });

  it.each([
    { label: 'G = 1 (multi-head), from position 5', nKvHeads: 4, perRow: false },
    { label: 'G = 2, per-row positions', nKvHeads: 2, perRow: true },
    { label: 'G = 4 (one KV head), per-row positions', nKvHeads: 1, perRow: true },
  ])('equals the composite rotary, transposes and scaling bit for bit, $label', ({ nKvHeads, perRow }) => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: 16 });
    const [q2d, k2d, v2d] = [N_HEADS, nKvHeads, nKvHeads].map((heads, i) =>
      tf.tensor2d(randomValues(B * T * heads * HEAD_DIM, 20 + i, 3), [B * T, heads * HEAD_DIM]),
    ) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const positions = perRow
      ? tf.tensor2d(
          [
            [0, 0, 1],
            [7, 8, 9],
          ],
          [B, T],
          'int32',
        )
      : 5;
    const tables = rotary.tables(positions, B, T);
    const fused = fusedRotaryHeads(q2d, k2d, v2d, tables, {
      batch: B,
      nHeads: N_HEADS,
      nKvHeads,
      queryScale: 1 / Math.sqrt(HEAD_DIM),
    });
    const reference = compositeHeads(q2d, k2d, v2d, rotary, tables, nKvHeads);
    for (const [i, tensor] of fused.entries()) {
      expect(tensor.shape).toEqual(reference[i]!.shape);
      expect(Array.from(tensor.dataSync())).toEqual(Array.from(reference[i]!.dataSync()));
    }
    tf.dispose([q2d, k2d, v2d, tables.cos, tables.sin, ...fused, ...reference]);
    if (typeof positions !== 'number') positions.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects projections that do not hold B·T rows of the heads', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: 16 });
    tf.tidy(() => {
      const tables = rotary.tables(0, B, T);
      const attrs = { batch: B, nHeads: N_HEADS, nKvHeads: 2, queryScale: 1 };
      const rows = (heads: number) => tf.zeros([B * T, heads * HEAD_DIM]);
      expect(() => fusedRotaryHeads(rows(N_HEADS), rows(3), rows(2), tables, attrs)).toThrow(/do not hold/);
    });
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
