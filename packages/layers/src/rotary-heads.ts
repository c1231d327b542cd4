import * as tf from '@tensorflow/tfjs-core';
import { runFused } from './fused-dispatch.js';
import { FUSED, type HeadLayout } from './fused-kernel-names.js';
import type { RotaryEmbedding, RotaryTables } from './rotary-embedding.js';

/**
 * From the projections to the layout attention reads: q [B·T, nHeads·hd], k and v [B·T, nKvHeads·hd] (any shape
 * holding those rows) → q rotated and scaled [B, nKvHeads, G·T, hd], k rotated and v [B, nKvHeads, T, hd], with
 * G = nHeads / nKvHeads query heads grouped under the key/value head they use (query head h uses key/value head
 * ⌊h / G⌋, so [B, nHeads, T, hd] reshapes to [B, nKvHeads, G·T, hd]). Grouping the queries instead of repeating
 * K and V avoids both the copy and tile's missing rank-5 gradient (tfjs-notes.md). tables: the rotary cos and
 * sin rows of the tokens, [B|1, T, 1, hd].
 */
export function rotaryHeads(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  rotary: RotaryEmbedding,
  tables: RotaryTables,
  layout: HeadLayout,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const fused = runFused(FUSED.rotaryHeads, { q, k, v, cos: tables.cos, sin: tables.sin }, layout);
  if (fused) return fused as [tf.Tensor, tf.Tensor, tf.Tensor];
  const { batch: B, nHeads, nKvHeads, queryScale } = layout;
  const headDim = rotary.headDim;
  const T = tables.cos.shape[1] as number;
  return tf.tidy(() => {
    const heads = (x: tf.Tensor, count: number) => tf.reshape(x, [B, T, count, headDim]); // [B, T, H, hd]
    const byHead = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1, 3]); // [B, T, H, hd] → [B, H, T, hd]
    const queries = tf.mul(byHead(rotary.apply(heads(q, nHeads), tables)), queryScale); // [B, nHeads, T, hd]
    return [
      tf.reshape(queries, [B, nKvHeads, (nHeads / nKvHeads) * T, headDim]), // [B, nKv, G·T, hd]
      byHead(rotary.apply(heads(k, nKvHeads), tables)), // [B, nKv, T, hd]
      byHead(heads(v, nKvHeads)), // [B, nKv, T, hd]
    ];
  }) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
