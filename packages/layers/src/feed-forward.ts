import * as tf from '@tensorflow/tfjs-core';
import { runFused } from './fused-dispatch.js';
import { FUSED } from './fused-kernel-names.js';
import { Linear, type LinearLike } from './linear.js';
import { prefixed } from './prefixed.js';

export interface FeedForwardConfig {
  dim: number;
  hiddenDim: number; // the gated width (@mini-llama/formats' swiGluHiddenDim gives llama2.c's rule)
  bias?: boolean; // biases on the three projections (HF's mlp_bias); Llama has none
}

/**
 * SwiGLU feed-forward (Shazeer 2020, "GLU Variants Improve Transformer"): down(silu(gate(x)) ⊙ up(x)).
 * HF names gate/up/down; Meta and llama2.c call them w1/w3/w2.
 */
export class FeedForward {
  readonly dim: number;
  readonly hiddenDim: number;
  gateProj: LinearLike; // w1
  upProj: LinearLike; // w3
  downProj: LinearLike; // w2

  constructor({ dim, hiddenDim, bias = false }: FeedForwardConfig) {
    this.dim = dim;
    this.hiddenDim = hiddenDim;
    this.gateProj = new Linear({ inFeatures: dim, outFeatures: hiddenDim, bias });
    this.upProj = new Linear({ inFeatures: dim, outFeatures: hiddenDim, bias });
    this.downProj = new Linear({ inFeatures: hiddenDim, outFeatures: dim, bias });
  }

  /** x: [..., dim] → [..., dim] */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const rows = x.rank === 2 ? x : tf.reshape(x, [-1, this.dim]); // [N, dim]: one reshape, not one per projection
      const hidden = swiGlu(this.gateProj.apply(rows), this.upProj.apply(rows)); // [N, hidden]
      const out = this.downProj.apply(hidden); // [N, dim]
      return x.rank === 2 ? out : tf.reshape(out, x.shape); // [..., dim]
    });
  }

  parameters(): Record<string, tf.Variable> {
    return {
      ...prefixed('gate_proj', this.gateProj.parameters()),
      ...prefixed('up_proj', this.upProj.parameters()),
      ...prefixed('down_proj', this.downProj.parameters()),
    };
  }

  dispose(): void {
    for (const projection of [this.gateProj, this.upProj, this.downProj]) projection.dispose();
  }
}

/** silu(gate) ⊙ up = gate · sigmoid(gate) · up: gate, up [..., hidden] → [..., hidden]. */
export function swiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return (
    runFused(FUSED.swiGlu, { gate, up })?.[0] ?? tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up))
  );
}
