import * as tf from '@tensorflow/tfjs-core';
import { causalMask } from './causal-mask.js';
import { FUSED_ATTENTION, fusedAttention } from './fused-attention.js';
import { canUseFusedKernel } from './fused-kernel-switch.js';
import { FUSED_KV_WRITE } from './fused-kv-write.js';
import { FUSED_ROTARY_HEADS, fusedRotaryHeads } from './fused-rotary-heads.js';
import type { LayerKvCache } from './kv-cache.js';
import { Linear } from './linear.js';
import { matMul, swapLastTwoAxes } from './matmul.js';
import { isRotaryTables, type RotaryEmbedding, type RotaryTables } from './rotary-embedding.js';

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
  apply(x: tf.Tensor, call: AttentionCall): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new Error(`GroupedQueryAttention: input has shape [${x.shape}], expected [B, T, ${this.dim}]`);
    }
    if (canUseFusedKernel(FUSED_ROTARY_HEADS)) return this.applyFused(x, call);
    const { rotary, positions = 0, cache, mask } = call;
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
      const merged = this.attend(q, k, v, mask, k.shape[2] as number); // [B·T, nHeads·hd]
      return tf.reshape(this.oProj.apply(merged), [B, T, this.dim]); // [B, T, dim]
    });
  }

  /**
   * The same as `apply`, for inference on wasm and cpu, with fused kernels (fused-kernel-switch.ts): one for
   * rotary and the head layout, one that writes the cache in place, one for attention itself when its scores
   * are small. The projections still run through their Linear (adapters included), on rows [B·T, dim].
   */
  private applyFused(x: tf.Tensor, { rotary, positions = 0, cache, mask }: AttentionCall): tf.Tensor {
    const [B, T] = x.shape as [number, number, number];
    const { dim, nHeads, nKvHeads, headDim } = this;
    return tf.tidy(() => {
      const rows = tf.reshape(x, [B * T, dim]); // [B·T, dim]
      const tables = isRotaryTables(positions) ? positions : rotary.tables(positions, B, T);
      let [q, k, v] = fusedRotaryHeads(
        this.qProj.apply(rows),
        this.kProj.apply(rows),
        this.vProj.apply(rows),
        tables,
        {
          batch: B,
          nHeads,
          nKvHeads,
          queryScale: 1 / Math.sqrt(headDim),
        },
      ); // q: [B, nKv, G·T, hd], k and v: [B, nKv, T, hd]
      let keyLength = T;
      if (cache && canUseFusedKernel(FUSED_KV_WRITE)) {
        ({ keys: k, values: v, length: keyLength } = cache.appendInPlace(k, v)); // [B, nKv, ≥ Tk, hd]
      } else if (cache) {
        [k, v] = cache.append(k, v); // [B, nKv, Tk, hd]
        keyLength = k.shape[2] as number;
      }
      const merged = this.attend(q, k, v, mask, keyLength); // [B·T, nHeads·hd]
      return tf.reshape(this.oProj.apply(merged), [B, T, dim]); // [B, T, dim]
    });
  }

  /**
   * softmax(q·kᵀ/√hd + mask)·v with the heads merged. q: [B, nKv, G·T, hd] (scaled), keys and values:
   * [B, nKv, ≥ Tk, hd] of which the first keyLength (Tk) positions are attended to → [B·T, nHeads·hd].
   * `mask` as in AttentionCall; undefined: causal (for a causal layer).
   */
  private attend(
    q: tf.Tensor,
    keys: tf.Tensor,
    values: tf.Tensor,
    mask: tf.Tensor | null | undefined,
    keyLength: number,
  ): tf.Tensor {
    const { nHeads, nKvHeads, headDim } = this;
    const groupSize = nHeads / nKvHeads;
    const [B, , rows] = q.shape as [number, number, number, number];
    const T = rows / groupSize;
    const mask4d = this.additiveMask(mask, T, keyLength); // [B|1, 1, T|1, Tk] or null
    const looped =
      LOOPED_ATTENTION_BACKENDS.has(tf.getBackend()) &&
      B * nKvHeads * groupSize * T * keyLength >= LOOP_ABOVE;
    if (!looped && canUseFusedKernel(FUSED_ATTENTION)) {
      return fusedAttention(q, keys, values, mask4d, { groupSize, keyLength });
    }
    // a KV cache's buffers hold spare room after the stored positions
    const size = [B, nKvHeads, keyLength, headDim];
    const k = keys.shape[2] === keyLength ? keys : tf.slice(keys, 0, size); // [B, nKv, Tk, hd]
    const v = values.shape[2] === keyLength ? values : tf.slice(values, 0, size); // [B, nKv, Tk, hd]
    // The batched path adds the mask to [B, nKv, G·T, Tk] scores: repeat its rows for the group.
    const groupedMask =
      mask4d && !looped && groupSize > 1 && mask4d.shape[2] !== 1
        ? tf.tile(mask4d, [1, 1, groupSize, 1])
        : mask4d;
    const heads = looped ? attendPerGroup(q, k, v, mask4d, groupSize) : attendBatched(q, k, v, groupedMask); // [B, nKv, G·T, hd]
    return tf.reshape(
      tf.transpose(tf.reshape(heads, [B, nHeads, T, headDim]), [0, 2, 1, 3]), // [B, T, nHeads, hd]
      [B * T, nHeads * headDim],
    );
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

// On wasm (and the pure-JS cpu backend) batched matMuls run an order of magnitude slower than 2-D ones
// (tfjs-notes.md), and the attention products are batched: with many long sequences they take most of a
// training step. Looping over (row, key/value head) pairs turns every product into a 2-D one. The loop costs
// a few ops per pair, so it is used only when the score matrices are large (not for one decoded token).
const LOOPED_ATTENTION_BACKENDS = new Set(['wasm', 'cpu']);
const LOOP_ABOVE = 1 << 18; // score elements [B·nKv·G·T·Tk] from which looping pays

/**
 * softmax(q·kᵀ + mask)·v as batched products. q: [B, nKv, G·T, hd], k and v: [B, nKv, Tk, hd], mask
 * [B|1, 1, G·T|1, Tk] (already repeated for the group).
 */
export function attendBatched(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  let scores = matMul(q, swapLastTwoAxes(k)); // [B, nKv, G·T, Tk]
  if (mask) scores = tf.add(scores, mask);
  return matMul(tf.softmax(scores), v); // [B, nKv, G·T, hd]
}

/**
 * The same as attendBatched, one (row, key/value head) pair at a time with 2-D products, and with a gradient
 * that recomputes each pair's attention matrix instead of keeping it: only q, k, v and the mask are saved, so
 * a training step no longer holds B·nHeads·T·Tk scores and probabilities per layer (the memory trick of
 * FlashAttention, Dao et al. 2022, without its tiling). Backward per pair, with P = softmax(S), S = q·kᵀ + M:
 *   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS·K,  dK = dSᵀ·Q.
 * The mask [B|1, 1, T|1, Tk] is not repeated for the group: each pair's scores are viewed as [G, T, Tk].
 */
export function attendPerGroup(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor | null,
  groupSize: number,
): tf.Tensor {
  const [B, nKv, rows, headDim] = q.shape as [number, number, number, number];
  const keys = k.shape[2] as number;
  const pairs = B * nKv;
  const maskTensor = mask ?? tf.zeros([1, 1, 1, keys]);
  const maskBatch = maskTensor.shape[0] as number;
  const probabilities = (qi: tf.Tensor, ki: tf.Tensor, maskRow: tf.Tensor) => {
    const scores = tf.matMul(qi, swapLastTwoAxes(ki)); // [G·T, Tk]
    const masked = tf.reshape(tf.add(tf.reshape(scores, [groupSize, -1, keys]), maskRow), [rows, keys]);
    return tf.softmax(masked); // [G·T, Tk]
  };
  const attention = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qa, ka, va, ma, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([qa, ka, va, ma]);
    const blocks = (qs: tf.Tensor, ks: tf.Tensor, vs: tf.Tensor, ms: tf.Tensor) => ({
      qs: tf.split(tf.reshape(qs, [pairs * rows, headDim]), pairs, 0), // pairs × [G·T, hd]
      ks: tf.split(tf.reshape(ks, [pairs * keys, headDim]), pairs, 0), // pairs × [Tk, hd]
      vs: tf.split(tf.reshape(vs, [pairs * keys, headDim]), pairs, 0), // pairs × [Tk, hd]
      ms: tf.split(tf.reshape(ms, [maskBatch, -1, keys]), maskBatch, 0), // maskBatch × [1, T|1, Tk]
    });
    const maskFor = (ms: tf.Tensor[], pair: number) => ms[maskBatch === 1 ? 0 : Math.floor(pair / nKv)]!;
    const forward = blocks(qa, ka, va, ma);
    const outputs = forward.qs.map((qi, pair) =>
      tf.tidy(() =>
        tf.matMul(probabilities(qi, forward.ks[pair]!, maskFor(forward.ms, pair)), forward.vs[pair]!),
      ),
    );
    return {
      value: tf.reshape(tf.concat(outputs, 0), [B, nKv, rows, headDim]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sq, sk, sv, sm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const back = blocks(sq, sk, sv, sm);
        const dOut = tf.split(tf.reshape(dy as tf.Tensor, [pairs * rows, headDim]), pairs, 0);
        const dq: tf.Tensor[] = [];
        const dk: tf.Tensor[] = [];
        const dv: tf.Tensor[] = [];
        back.qs.forEach((qi, pair) => {
          const [gq, gk, gv] = tf.tidy(() => {
            const ki = back.ks[pair]!;
            const vi = back.vs[pair]!;
            const p = probabilities(qi, ki, maskFor(back.ms, pair)); // recomputed [G·T, Tk]
            const dO = dOut[pair]!; // [G·T, hd]
            // Pᵀ·dO as (dOᵀ·P)ᵀ: the transposes are of [G·T, hd] and [hd, Tk], not of the [G·T, Tk] matrix
            const gradV = swapLastTwoAxes(tf.matMul(swapLastTwoAxes(dO), p)); // [Tk, hd]
            const dP = tf.matMul(dO, swapLastTwoAxes(vi)); // [G·T, Tk]
            const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), 1, true))); // softmax backward
            const gradK = swapLastTwoAxes(tf.matMul(swapLastTwoAxes(qi), dS)); // dSᵀ·Q as (Qᵀ·dS)ᵀ, [Tk, hd]
            return [tf.matMul(dS, ki), gradK, gradV]; // [G·T, hd], [Tk, hd], [Tk, hd]
          });
          dq.push(gq!);
          dk.push(gk!);
          dv.push(gv!);
        });
        return [
          tf.reshape(tf.concat(dq, 0), [B, nKv, rows, headDim]),
          tf.reshape(tf.concat(dk, 0), [B, nKv, keys, headDim]),
          tf.reshape(tf.concat(dv, 0), [B, nKv, keys, headDim]),
          tf.zerosLike(sm), // the mask is a constant
        ];
      },
    };
  });
  return attention(q, k, v, maskTensor);
}

/** Prefix every key of a parameter record with `prefix.`. */
export function prefixed<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) out[`${prefix}.${key}`] = value;
  return out;
}
