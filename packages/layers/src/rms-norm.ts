import * as tf from '@tensorflow/tfjs-core';
import { canUseFusedKernel } from './fused-kernel-switch.js';
import { FUSED_ADD_RMS_NORM, FUSED_RMS_NORM, fusedAddRmsNorm, fusedRmsNorm } from './fused-rms-norm.js';

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
    if (canUseFusedKernel(FUSED_RMS_NORM)) return fusedRmsNorm(x, this.weight, this.eps);
    return tf.tidy(() => {
      const meanSquare = tf.mean(tf.square(x), -1, true); // [..., 1]
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.eps))), this.weight);
    });
  }

  /**
   * x + residual and its norm, for a pre-norm block's residual stream: x, residual: [..., dim] →
   * [x + residual, apply(x + residual)]. One kernel for both where the fused kernels run.
   */
  addAndApply(x: tf.Tensor, residual: tf.Tensor): [tf.Tensor, tf.Tensor] {
    if (x.shape[x.rank - 1] !== this.dim || !tf.util.arraysEqual(x.shape, residual.shape)) {
      throw new Error(
        `RmsNorm: inputs have shapes [${x.shape}] and [${residual.shape}], expected two equal [..., ${this.dim}]`,
      );
    }
    if (canUseFusedKernel(FUSED_ADD_RMS_NORM)) return fusedAddRmsNorm(x, residual, this.weight, this.eps);
    const sum = tf.add(x, residual);
    return [sum, this.apply(sum)];
  }

  parameters(): Record<string, tf.Variable> {
    return { weight: this.weight };
  }

  dispose(): void {
    this.weight.dispose();
  }
}
