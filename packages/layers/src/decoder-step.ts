import * as tf from '@tensorflow/tfjs-core';
import { decoderStepMaxMacs } from './backend-policy.js';
import type { FeedForward } from './feed-forward.js';
import { canRunFused } from './fused-dispatch.js';
import { type DecoderStepAttrs, FUSED } from './fused-kernel-names.js';
import type { GroupedQueryAttention } from './grouped-query-attention.js';
import type { LayerKvCache } from './kv-cache.js';
import { Linear, type LinearLike } from './linear.js';
import type { RmsNorm } from './rms-norm.js';
import { isRotaryTables, type RotaryEmbedding, type RotaryTables } from './rotary-embedding.js';

/** The parts of a pre-norm decoder layer (h + attention(norm(h)), then + feedForward(norm(·))). */
export interface DecoderStepLayer {
  inputLayernorm: RmsNorm;
  selfAttn: GroupedQueryAttention;
  postAttentionLayernorm: RmsNorm;
  mlp: FeedForward;
}

export interface DecoderStepCall {
  rotary: RotaryEmbedding;
  batch: number;
  positions: number | tf.Tensor | RotaryTables;
  mask: tf.Tensor | null;
  cache: LayerKvCache | undefined;
}

/**
 * The layer's output for rows h [B, dim] of one new token each, from the whole-layer kernel, which also
 * appends the token's key and value to the cache; null when that kernel does not apply (another token count,
 * no cache, a gradient being recorded, a backend without it, biases or LoRA on a projection, a wide layer),
 * and the caller runs its composite path, the reference.
 */
export function decoderStep(h: tf.Tensor, layer: DecoderStepLayer, call: DecoderStepCall): tf.Tensor | null {
  const { selfAttn: attention, mlp, inputLayernorm, postAttentionLayernorm } = layer;
  const { batch: B, cache, mask } = call;
  if (!cache || h.rank !== 2 || h.shape[0] !== B || !canRunFused(FUSED.decoderStep)) return null;
  const projections = [
    attention.qProj,
    attention.kProj,
    attention.vProj,
    attention.oProj,
    mlp.gateProj,
    mlp.upProj,
    mlp.downProj,
  ];
  if (!projections.every(isPlainLinear) || !attention.causal) return null;
  if (inputLayernorm.eps !== postAttentionLayernorm.eps) return null;
  const macs = projections.reduce((sum, p) => sum + p.inFeatures * p.outFeatures, 0);
  if (macs > decoderStepMaxMacs()) return null;
  const keyLength = cache.length + 1;
  if (mask && !(mask.rank === 4 && mask.shape[2] === 1 && mask.shape[3] === keyLength)) return null;
  const { nHeads, nKvHeads, headDim } = attention;
  return tf.tidy(() => {
    const tables = isRotaryTables(call.positions) ? call.positions : call.rotary.tables(call.positions, B, 1);
    return cache.writeInPlace(1, [B, nKvHeads, 1, headDim], ({ keys, values }, offset) => {
      const attrs: DecoderStepAttrs = { nHeads, nKvHeads, eps: inputLayernorm.eps, offset };
      const inputs: tf.NamedTensorMap = {
        h,
        attentionNorm: inputLayernorm.weight,
        wq: attention.qProj.weight,
        wk: attention.kProj.weight,
        wv: attention.vProj.weight,
        wo: attention.oProj.weight,
        feedForwardNorm: postAttentionLayernorm.weight,
        wGate: mlp.gateProj.weight,
        wUp: mlp.upProj.weight,
        wDown: mlp.downProj.weight,
        keyBuffer: keys,
        valueBuffer: values,
        cos: tables.cos,
        sin: tables.sin,
        ...(mask ? { mask } : {}),
      };
      const [out] = tf
        .engine()
        .runKernel(FUSED.decoderStep, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return out!; // [B, dim]
    });
  });
}

/** A Linear itself (not a LoRA layer or another stand-in) without a bias: what the kernel computes. */
function isPlainLinear(projection: LinearLike): boolean {
  return projection instanceof Linear && projection.bias === undefined;
}
