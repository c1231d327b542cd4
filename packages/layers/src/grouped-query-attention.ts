import * as tf from '@tensorflow/tfjs-core';
import { causalMask } from './causal-mask.js';
import type { LayerKvCache } from './kv-cache.js';
import { Linear } from './linear.js';
import { matMul, swapLastTwoAxes } from './matmul.js';
import type { RotaryEmbedding, RotaryTables } from './rotary-embedding.js';

export interface GroupedQueryAttentionConfig {
  dim: number;
  nHeads: number;
  nKvHeads?: number; // defaults to nHeads (plain multi-head attention); must divide nHeads
  causal?: boolean; // true for a decoder; false lets every token see every other (encoder-style use)
  /** Builds the projections; replace to inject adapters or other Linear-like modules. */
  makeLinear?: (inFeatures: number, outFeatures: number) => Linear;
}

export interface AttentionCall {
  rotary: RotaryEmbedding;
  /**
   * Position of the first token (all rows alike), int32 [B, T] per-token positions, or the rotary tables
   * for them (`rotary.tables(...)`, computed once for all layers). Default 0.
   */
  positions?: number | tf.Tensor | RotaryTables;
  /** Keys and values of earlier positions; the new ones are appended. */
  cache?: LayerKvCache;
  /**
   * Additive mask [T, Tk] or [B|1, 1, T, Tk] (0 = attend, large negative = never). When given, it replaces
   * the causal mask this layer would build, so it must include causality itself; null means no mask at all
   * (a single new token may see every cached one).
   */
  mask?: tf.Tensor | null;
}

/**
 * Multi-head attention with grouped key/value heads (Ainslie et al. 2023, GQA): nHeads query heads share
 * nKvHeads key/value heads, each serving nHeads / nKvHeads consecutive query heads.
 */
export class GroupedQueryAttention {
  readonly dim: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly oProj: Linear;

  constructor({ dim, nHeads, nKvHeads = nHeads, causal = true, makeLinear }: GroupedQueryAttentionConfig) {
    if (!Number.isInteger(nHeads) || nHeads <= 0) {
      throw new Error(`GroupedQueryAttention: nHeads must be a positive integer, got ${nHeads}`);
    }
    if (dim % nHeads !== 0) {
      throw new Error(`GroupedQueryAttention: dim ${dim} is not divisible by nHeads ${nHeads}`);
    }
    if (!Number.isInteger(nKvHeads) || nKvHeads <= 0 || nHeads % nKvHeads !== 0) {
      throw new Error(`GroupedQueryAttention: nKvHeads ${nKvHeads} must divide nHeads ${nHeads}`);
    }
    this.dim = dim;
    this.nHeads = nHeads;
    this.nKvHeads = nKvHeads;
    this.headDim = dim / nHeads;
    this.causal = causal;
    const linear = makeLinear ?? ((inFeatures, outFeatures) => new Linear({ inFeatures, outFeatures }));
    this.qProj = linear(dim, nHeads * this.headDim);
    this.kProj = linear(dim, nKvHeads * this.headDim);
    this.vProj = linear(dim, nKvHeads * this.headDim);
    this.oProj = linear(nHeads * this.headDim, dim);
  }

  /** x: [B, T, dim] → [B, T, dim] */
  apply(x: tf.Tensor, { rotary, positions = 0, cache, mask }: AttentionCall): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new Error(`GroupedQueryAttention: input has shape [${x.shape}], expected [B, T, ${this.dim}]`);
    }
    const [B, T] = x.shape as [number, number, number];
    const { nHeads, nKvHeads, headDim } = this;
    const groupSize = nHeads / nKvHeads; // query heads per key/value head
    return tf.tidy(() => {
      let q = tf.reshape(this.qProj.apply(x), [B, T, nHeads, headDim]);
      let k = tf.reshape(this.kProj.apply(x), [B, T, nKvHeads, headDim]);
      let v = tf.reshape(this.vProj.apply(x), [B, T, nKvHeads, headDim]);
      q = rotary.apply(q, positions);
      k = rotary.apply(k, positions);

      // Group the query heads under their key/value head instead of repeating K and V: query head h uses
      // key/value head ⌊h / groupSize⌋, so [B, nHeads, T, hd] reshapes to [B, nKvHeads, groupSize·T, hd].
      // This avoids both the copy and tile's missing rank-5 gradient (tfjs-notes.md).
      q = tf.mul(tf.transpose(q, [0, 2, 1, 3]), 1 / Math.sqrt(headDim)); // [B, nHeads, T, hd]
      q = tf.reshape(q, [B, nKvHeads, groupSize * T, headDim]); // [B, nKv, G·T, hd]
      k = tf.transpose(k, [0, 2, 1, 3]); // [B, nKv, T, hd]
      v = tf.transpose(v, [0, 2, 1, 3]); // [B, nKv, T, hd]
      if (cache) [k, v] = cache.append(k, v); // [B, nKv, Tk, hd]
      const keyLength = k.shape[2] as number;

      let scores = matMul(q, swapLastTwoAxes(k)); // [B, nKv, G·T, Tk]
      const additiveMask = mask === undefined ? (this.causal ? causalMask(T, keyLength) : null) : mask;
      if (additiveMask) {
        const mask4d =
          additiveMask.rank === 2 ? tf.reshape(additiveMask, [1, 1, ...additiveMask.shape]) : additiveMask;
        const maskRows = mask4d.shape[2]; // T, or 1 for a mask that is the same for every query (padding)
        if (mask4d.rank !== 4 || (maskRows !== T && maskRows !== 1) || mask4d.shape[3] !== keyLength) {
          throw new Error(
            `GroupedQueryAttention: mask has shape [${additiveMask.shape}], expected one broadcastable to [B, 1, ${T}, ${keyLength}]`,
          );
        }
        const grouped = groupSize === 1 || maskRows === 1 ? mask4d : tf.tile(mask4d, [1, 1, groupSize, 1]); // [B|1, 1, G·T|1, Tk]
        scores = tf.add(scores, grouped);
      }
      const weights = tf.softmax(scores); // [B, nKv, G·T, Tk]
      const heads = matMul(weights, v); // [B, nKv, G·T, hd]
      const merged = tf.reshape(
        tf.transpose(tf.reshape(heads, [B, nHeads, T, headDim]), [0, 2, 1, 3]), // [B, T, nHeads, hd]
        [B, T, nHeads * headDim],
      );
      return this.oProj.apply(merged); // [B, T, dim]
    });
  }

  parameters(): Record<string, tf.Variable> {
    return {
      ...prefixed('q_proj', this.qProj.parameters()),
      ...prefixed('k_proj', this.kProj.parameters()),
      ...prefixed('v_proj', this.vProj.parameters()),
      ...prefixed('o_proj', this.oProj.parameters()),
    };
  }

  dispose(): void {
    for (const projection of [this.qProj, this.kProj, this.vProj, this.oProj]) projection.dispose();
  }
}

/** Prefix every key of a parameter record with `prefix.`. */
export function prefixed<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) out[`${prefix}.${key}`] = value;
  return out;
}
