import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './matmul.js';

export interface LinearConfig {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean; // false: Llama's projections have no bias
}

/**
 * What a model's projections are: a Linear, or a module standing in for one (a LoRA layer around a Linear,
 * a trainable copy of a head) that a model puts in its place with `replaceModule`. `weight` is the matrix
 * the module computes with ([in, out]), for the code that reads it directly (the fused output head).
 */
export interface LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable; // [in, out]
  readonly bias: tf.Variable | undefined; // [out]
  /** x: [..., in] → [..., out] */
  apply(x: tf.Tensor): tf.Tensor;
  parameters(): Record<string, tf.Variable>;
  dispose(): void;
}

/**
 * y = x · W (+ b). The weight is stored as [inFeatures, outFeatures] so the forward product runs on tfjs's
 * fast matMul layout; PyTorch and HF files store [out, in], and the weight-format code transposes on load and
 * save (that is the only place the two layouts meet).
 */
export class Linear implements LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable; // [in, out]
  readonly bias: tf.Variable | undefined; // [out]

  constructor({ inFeatures, outFeatures, bias = false }: LinearConfig) {
    if (!Number.isInteger(inFeatures) || inFeatures <= 0) {
      throw new Error(`Linear: inFeatures must be a positive integer, got ${inFeatures}`);
    }
    if (!Number.isInteger(outFeatures) || outFeatures <= 0) {
      throw new Error(`Linear: outFeatures must be a positive integer, got ${outFeatures}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = tf.tidy(() => tf.variable(tf.zeros([inFeatures, outFeatures])));
    this.bias = bias ? tf.tidy(() => tf.variable(tf.zeros([outFeatures]))) : undefined;
  }

  /** x: [..., in] → [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    const inFeatures = x.shape[x.rank - 1];
    if (inFeatures !== this.inFeatures) {
      throw new Error(`Linear: input has shape [${x.shape}], expected last dimension ${this.inFeatures}`);
    }
    // Already [N, in] without a bias: one product, nothing to tidy, and no reshapes (no-ops that would each
    // still cost a kernel dispatch: decoding one token is dominated by such fixed costs).
    if (x.rank === 2 && !this.bias) return matMul(x, this.weight); // [N, out]
    return tf.tidy(() => {
      const rows = x.size / this.inFeatures;
      const flat = tf.reshape(x, [rows, this.inFeatures]); // [N, in]
      let y = matMul(flat, this.weight); // [N, out]
      if (this.bias) y = tf.add(y, this.bias);
      return tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]); // [..., out]
    });
  }

  parameters(): Record<string, tf.Variable> {
    return this.bias ? { weight: this.weight, bias: this.bias } : { weight: this.weight };
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}
