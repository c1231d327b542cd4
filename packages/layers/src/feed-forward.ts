import * as tf from '@tensorflow/tfjs-core';
import { canUseFusedKernel } from './fused-kernel-switch.js';
import { FUSED_SWIGLU, fusedSwiGlu } from './fused-swiglu.js';
import { prefixed } from './grouped-query-attention.js';
import { Linear } from './linear.js';

export interface FeedForwardConfig {
  dim: number;
  hiddenDim: number; // the gated width (@mini-llama/formats' swiGluHiddenDim gives llama2.c's rule)
  makeLinear?: (inFeatures: number, outFeatures: number) => Linear;
}

/**
 * SwiGLU feed-forward (Shazeer 2020, "GLU Variants Improve Transformer"): down(silu(gate(x)) ⊙ up(x)).
 * HF names gate/up/down; Meta and llama2.c call them w1/w3/w2.
 */
export class FeedForward {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly gateProj: Linear; // w1
  readonly upProj: Linear; // w3
  readonly downProj: Linear; // w2

  constructor({ dim, hiddenDim, makeLinear }: FeedForwardConfig) {
    this.dim = dim;
    this.hiddenDim = hiddenDim;
    const linear = makeLinear ?? ((inFeatures, outFeatures) => new Linear({ inFeatures, outFeatures }));
    this.gateProj = linear(dim, this.hiddenDim);
    this.upProj = linear(dim, this.hiddenDim);
    this.downProj = linear(this.hiddenDim, dim);
  }

  /** x: [..., dim] → [..., dim] */
  apply(x: tf.Tensor): tf.Tensor {
    if (canUseFusedKernel(FUSED_SWIGLU)) return this.applyFused(x);
    return tf.tidy(() => {
      const gate = this.gateProj.apply(x); // [..., hidden]
      const silu = tf.mul(gate, tf.sigmoid(gate));
      return this.downProj.apply(tf.mul(silu, this.upProj.apply(x))); // [..., dim]
    });
  }

  /** The same for inference, on 2-D rows (one reshape each way instead of two per projection) and fused gating. */
  private applyFused(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const rows = x.rank === 2 ? x : tf.reshape(x, [-1, this.dim]); // [N, dim]
      const hidden = fusedSwiGlu(this.gateProj.apply(rows), this.upProj.apply(rows)); // [N, hidden]
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
