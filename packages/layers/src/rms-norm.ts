import * as tf from '@tensorflow/tfjs-core';
import { runFused } from './fused-dispatch.js';
import { FUSED, type RmsNormAttrs } from './fused-kernel-names.js';

export interface RmsNormConfig {
  dim: number;
  eps?: number; // 1e-5 in Llama 2
}

/** Root-mean-square norm (Zhang & Sennrich 2019): x / sqrt(mean(x²) + eps) · weight. */
export class RmsNorm {
  readonly dim: number;
  readonly eps: number;
  readonly weight: tf.Variable; // [dim]

  constructor({ dim, eps = 1e-5 }: RmsNormConfig) {
    if (!Number.isInteger(dim) || dim <= 0)
      throw new Error(`RmsNorm: dim must be a positive integer, got ${dim}`);
    if (!(eps > 0)) throw new Error(`RmsNorm: eps must be positive, got ${eps}`);
    this.dim = dim;
    this.eps = eps;
    this.weight = tf.tidy(() => tf.variable(tf.ones([dim])));
  }

  /** x: [..., dim] → [..., dim] */
  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.dim) {
      throw new Error(`RmsNorm: input has shape [${x.shape}], expected last dimension ${this.dim}`);
    }
    return rmsNorm(x, this.weight, this.eps);
  }

  parameters(): Record<string, tf.Variable> {
    return { weight: this.weight };
  }

  dispose(): void {
    this.weight.dispose();
  }
}

/** x · rsqrt(mean(x²) + eps) · weight over the last axis: x [..., dim], weight [dim] → [..., dim]. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const attrs: RmsNormAttrs = { eps };
  return (
    runFused(FUSED.rmsNorm, { x, weight }, attrs)?.[0] ??
    tf.tidy(() => {
      const meanSquare = tf.mean(tf.square(x), -1, true); // [..., 1]
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
    })
  );
}
