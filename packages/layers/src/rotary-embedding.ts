import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './matmul.js';

/** cos and sin rows for one call's positions: [B|1, T, 1, headDim] each. */
export interface RotaryTables {
  cos: tf.Tensor;
  sin: tf.Tensor;
}

/** Whether a `positions` argument is already the tables (`tables()`), not positions. */
export function isRotaryTables(value: number | tf.Tensor | RotaryTables): value is RotaryTables {
  // Not a tensor: importing @tensorflow/tfjs (as tfjs-node does) gives every tensor chained methods, cos and
  // sin among them.
  return typeof value === 'object' && !(value instanceof tf.Tensor) && 'cos' in value && 'sin' in value;
}

export interface RotaryEmbeddingConfig {
  headDim: number; // must be even: rotation acts on pairs
  maxSeqLen: number; // positions 0 … maxSeqLen-1 are precomputed
  theta?: number; // base of the frequencies: 10000 in Llama 2
  /**
   * θ_i for i = 0 … headDim/2 − 1 when they are not base^(−2i/headDim): scaled RoPE (Llama 3.1's, linear), as
   * @mini-llama/formats' ropeInverseFrequencies computes them from a config. Overrides `theta`.
   */
  inverseFrequencies?: Float32Array;
}

/**
 * Rotary position embedding (Su et al. 2021, "RoFormer", eq. 34) in the Meta / llama2.c layout: dimensions
 * (2i, 2i+1) form a pair rotated by the angle position · θ^(−2i/headDim).
 * HF checkpoints store q/k rows permuted for the "rotate half" layout instead; the weight loaders undo that
 * permutation, so this class is the only RoPE the model uses.
 */
export class RotaryEmbedding {
  readonly headDim: number;
  readonly maxSeqLen: number;
  readonly theta: number;
  /** cos of each pair's angle, written to both members of the pair: [maxSeqLen, headDim] */
  readonly cos: tf.Tensor2D;
  /** sin of each pair's angle, written to both members of the pair: [maxSeqLen, headDim] */
  readonly sin: tf.Tensor2D;
  /** Signed permutation P with (x·P)[2i] = −x[2i+1] and (x·P)[2i+1] = x[2i]: [headDim, headDim] */
  readonly pairRotation: tf.Tensor2D;

  constructor({ headDim, maxSeqLen, theta = 10000, inverseFrequencies }: RotaryEmbeddingConfig) {
    if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) {
      throw new Error(`RotaryEmbedding: headDim must be a positive even integer, got ${headDim}`);
    }
    if (!Number.isInteger(maxSeqLen) || maxSeqLen <= 0) {
      throw new Error(`RotaryEmbedding: maxSeqLen must be a positive integer, got ${maxSeqLen}`);
    }
    if (!(theta > 0)) throw new Error(`RotaryEmbedding: theta must be positive, got ${theta}`);
    if (inverseFrequencies && inverseFrequencies.length !== headDim / 2) {
      throw new Error(
        `RotaryEmbedding: inverseFrequencies has ${inverseFrequencies.length} values, headDim ${headDim} needs ${headDim / 2}`,
      );
    }
    this.headDim = headDim;
    this.maxSeqLen = maxSeqLen;
    this.theta = theta;

    const cos = new Float32Array(maxSeqLen * headDim);
    const sin = new Float32Array(maxSeqLen * headDim);
    const f32 = Math.fround; // PyTorch builds these tables in float32: round the same way
    for (let i = 0; i < headDim / 2; i++) {
      const inverseFrequency = inverseFrequencies?.[i] ?? f32(1 / f32(theta ** f32((2 * i) / headDim)));
      for (let position = 0; position < maxSeqLen; position++) {
        const angle = f32(position * inverseFrequency);
        const at = position * headDim + 2 * i;
        cos[at] = cos[at + 1] = Math.cos(angle);
        sin[at] = sin[at + 1] = Math.sin(angle);
      }
    }
    const rotation = new Float32Array(headDim * headDim);
    for (let i = 0; i < headDim / 2; i++) {
      rotation[(2 * i + 1) * headDim + 2 * i] = -1;
      rotation[2 * i * headDim + 2 * i + 1] = 1;
    }
    this.cos = tf.tensor2d(cos, [maxSeqLen, headDim]);
    this.sin = tf.tensor2d(sin, [maxSeqLen, headDim]);
    this.pairRotation = tf.tensor2d(rotation, [headDim, headDim]);
  }

  /**
   * The cos and sin rows for a call's positions, [B|1, T, 1, headDim] each: compute them once per forward and
   * pass them to every layer's `apply` instead of the positions (they are the same for q and k of all layers).
   */
  tables(positions: number | tf.Tensor, B: number, T: number): RotaryTables {
    return tf.tidy(() => {
      if (typeof positions === 'number') {
        if (!Number.isInteger(positions) || positions < 0 || positions + T > this.maxSeqLen) {
          throw new Error(
            `RotaryEmbedding: positions ${positions}…${positions + T - 1} fall outside 0…${this.maxSeqLen - 1}`,
          );
        }
        return {
          cos: tf.reshape(tf.slice(this.cos, [positions, 0], [T, this.headDim]), [1, T, 1, this.headDim]),
          sin: tf.reshape(tf.slice(this.sin, [positions, 0], [T, this.headDim]), [1, T, 1, this.headDim]),
        };
      }
      if (positions.rank !== 2 || positions.shape[0] !== B || positions.shape[1] !== T) {
        throw new Error(`RotaryEmbedding: positions have shape [${positions.shape}], expected [${B}, ${T}]`);
      }
      return {
        cos: tf.reshape(tf.gather(this.cos, positions), [B, T, 1, this.headDim]),
        sin: tf.reshape(tf.gather(this.sin, positions), [B, T, 1, this.headDim]),
      };
    }) as RotaryTables;
  }

  /**
   * x: [B, T, H, headDim] → [B, T, H, headDim], rotated for its positions.
   * positions: the position of x's first token (the same for every row, as in cached decoding), or an
   * int32 tensor [B, T] giving each token's position (rows of a left-padded batch start at different places),
   * or the tables for them from `tables()`.
   */
  apply(x: tf.Tensor, positions: number | tf.Tensor | RotaryTables = 0): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.headDim) {
      throw new Error(`RotaryEmbedding: input has shape [${x.shape}], expected [B, T, H, ${this.headDim}]`);
    }
    const [B, T, H] = x.shape as [number, number, number, number];
    return tf.tidy(() => {
      const { cos, sin } = isRotaryTables(positions) ? positions : this.tables(positions, B, T);
      const pairs = tf.reshape(x, [B * T * H, this.headDim]); // [B·T·H, headDim]
      const rotated = tf.reshape(matMul(pairs, this.pairRotation), x.shape); // [B, T, H, headDim]
      return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
    });
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
    this.pairRotation.dispose();
  }
}
