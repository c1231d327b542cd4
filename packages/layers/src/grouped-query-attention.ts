import * as tf from '@tensorflow/tfjs-core';
import { attend } from './attention.js';
import { causalMask } from './causal-mask.js';
import type { LayerKvCache } from './kv-cache.js';
import { Linear, type LinearLike } from './linear.js';
import { prefixed } from './prefixed.js';
import { isRotaryTables, type RotaryEmbedding, type RotaryTables } from './rotary-embedding.js';
import { rotaryHeads } from './rotary-heads.js';

export interface GroupedQueryAttentionConfig {
  dim: number;
  nHeads: number;
  nKvHeads?: number; // defaults to nHeads (plain multi-head attention); must divide nHeads
  headDim?: number; // defaults to dim / nHeads; some models set it apart (then q has nHeads·headDim ≠ dim)
  qkvBias?: boolean; // biases on q, k and v (Qwen2; HF Llama's attention_bias)
  outputBias?: boolean; // a bias on the output projection (HF Llama's attention_bias)
  causal?: boolean; // true for a decoder; false lets every token see every other (encoder-style use)
}

export interface AttentionCall {
  rotary: RotaryEmbedding;
  /**
   * The batch size B when the input is rows [B·T, dim] rather than [B, T, dim] (a decoder stack keeps its
   * residual stream as rows, which saves a reshape each way in every layer).
   */
  batch?: number;
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
  qProj: LinearLike;
  kProj: LinearLike;
  vProj: LinearLike;
  oProj: LinearLike;

  constructor({
    dim,
    nHeads,
    nKvHeads = nHeads,
    headDim,
    qkvBias = false,
    outputBias = false,
    causal = true,
  }: GroupedQueryAttentionConfig) {
    if (!Number.isInteger(nHeads) || nHeads <= 0) {
      throw new Error(`GroupedQueryAttention: nHeads must be a positive integer, got ${nHeads}`);
    }
    if (headDim === undefined && dim % nHeads !== 0) {
      throw new Error(`GroupedQueryAttention: dim ${dim} is not divisible by nHeads ${nHeads}`);
    }
    headDim ??= dim / nHeads;
    if (!Number.isInteger(headDim) || headDim <= 0) {
      throw new Error(`GroupedQueryAttention: headDim must be a positive integer, got ${headDim}`);
    }
    if (!Number.isInteger(nKvHeads) || nKvHeads <= 0 || nHeads % nKvHeads !== 0) {
      throw new Error(`GroupedQueryAttention: nKvHeads ${nKvHeads} must divide nHeads ${nHeads}`);
    }
    this.dim = dim;
    this.nHeads = nHeads;
    this.nKvHeads = nKvHeads;
    this.headDim = headDim;
    this.causal = causal;
    const projection = (inFeatures: number, outFeatures: number, bias: boolean) =>
      new Linear({ inFeatures, outFeatures, bias });
    this.qProj = projection(dim, nHeads * headDim, qkvBias);
    this.kProj = projection(dim, nKvHeads * headDim, qkvBias);
    this.vProj = projection(dim, nKvHeads * headDim, qkvBias);
    this.oProj = projection(nHeads * headDim, dim, outputBias);
  }

  /** x: [B, T, dim] → [B, T, dim], or rows [B·T, dim] → [B·T, dim] with `call.batch` = B */
  apply(x: tf.Tensor, { rotary, positions = 0, cache, mask, batch }: AttentionCall): tf.Tensor {
    const asRows = x.rank === 2 && batch !== undefined && x.shape[0]! % batch === 0;
    if ((!asRows && x.rank !== 3) || x.shape[x.rank - 1] !== this.dim) {
      throw new Error(
        `GroupedQueryAttention: input has shape [${x.shape}], expected [B, T, ${this.dim}] (or [B·T, ${this.dim}] with the batch size)`,
      );
    }
    const B = asRows ? batch : (x.shape[0] as number);
    const T = asRows ? (x.shape[0] as number) / batch : (x.shape[1] as number);
    const { dim, nHeads, nKvHeads, headDim } = this;
    return tf.tidy(() => {
      const rows = asRows ? x : tf.reshape(x, [B * T, dim]); // [B·T, dim]
      const tables = isRotaryTables(positions) ? positions : rotary.tables(positions, B, T);
      const [q, k, v] = rotaryHeads(
        this.qProj.apply(rows),
        this.kProj.apply(rows),
        this.vProj.apply(rows),
        rotary,
        tables,
        { batch: B, nHeads, nKvHeads, queryScale: 1 / Math.sqrt(headDim) },
      ); // q: [B, nKv, G·T, hd] scaled, k and v: [B, nKv, T, hd]
      const { keys, values, length } = cache ? cache.append(k, v) : { keys: k, values: v, length: T };
      const groupSize = nHeads / nKvHeads;
      const merged = attend(q, keys, values, this.additiveMask(mask, T, length), {
        groupSize,
        keyLength: length,
      }); // [B·T, nHeads·hd]
      const out = this.oProj.apply(merged); // [B·T, dim]
      return asRows ? out : tf.reshape(out, [B, T, dim]); // [B, T, dim]
    });
  }

  /** The call's mask as [B|1, 1, T|1, Tk], the causal one when none is given (and the layer is causal), or null. */
  private additiveMask(mask: tf.Tensor | null | undefined, T: number, keyLength: number): tf.Tensor | null {
    const additiveMask = mask === undefined ? (this.causal ? causalMask(T, keyLength) : null) : mask;
    if (!additiveMask) return null;
    const asFourDims =
      additiveMask.rank === 2 ? tf.reshape(additiveMask, [1, 1, ...additiveMask.shape]) : additiveMask;
    const maskRows = asFourDims.shape[2]; // T, or 1 for a mask that is the same for every query (padding)
    if (asFourDims.rank !== 4 || (maskRows !== T && maskRows !== 1) || asFourDims.shape[3] !== keyLength) {
      throw new Error(
        `GroupedQueryAttention: mask has shape [${additiveMask.shape}], expected one broadcastable to [B, 1, ${T}, ${keyLength}]`,
      );
    }
    return asFourDims; // [B|1, 1, T|1, Tk]
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
