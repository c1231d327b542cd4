import * as tf from '@tensorflow/tfjs-core';
import { isRecordingGradients } from './matmul.js';

export interface EmbeddingConfig {
  numEmbeddings: number; // vocabulary size
  embeddingDim: number;
}

// The default gradient of gather is UnsortedSegmentSum, which the wasm backend lacks (tfjs issue 8082).
// ScatterNd sums rows that share an index and exists on cpu, wasm and webgpu, so the gradient of a lookup
// is a scatter-add of the upstream rows into a [vocab, dim] zero matrix.
const gatherRowsWithScatterGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([ids]);
  const [vocab, dim] = table.shape;
  return {
    value: tf.gather(table, ids), // [N, dim]
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [savedIds] = saved as [tf.Tensor1D];
      const indices = tf.reshape(savedIds, [savedIds.size, 1]); // [N, 1]
      const tableGrad = tf.scatterND(indices, dy as tf.Tensor, [vocab, dim]); // [vocab, dim]
      return [tableGrad, tf.zerosLike(savedIds)];
    },
  };
});

/** Token embedding: ids [...] (int32) → vectors [..., dim]. */
export class Embedding {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight: tf.Variable; // [vocab, dim]

  constructor({ numEmbeddings, embeddingDim }: EmbeddingConfig) {
    if (!Number.isInteger(numEmbeddings) || numEmbeddings <= 0) {
      throw new Error(`Embedding: numEmbeddings must be a positive integer, got ${numEmbeddings}`);
    }
    if (!Number.isInteger(embeddingDim) || embeddingDim <= 0) {
      throw new Error(`Embedding: embeddingDim must be a positive integer, got ${embeddingDim}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = tf.tidy(() => tf.variable(tf.zeros([numEmbeddings, embeddingDim])));
  }

  /** ids: [...] int32 → [..., dim] */
  apply(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') throw new Error(`Embedding: ids have dtype ${ids.dtype}, expected int32`);
    return tf.tidy(() => {
      const flat = tf.reshape(ids, [ids.size]) as tf.Tensor1D; // [N]
      // outside a gradient computation (generation, evaluation) the custom-gradient wrapper only adds overhead
      const rows = isRecordingGradients()
        ? gatherRowsWithScatterGradient(this.weight as tf.Tensor2D, flat)
        : tf.gather(this.weight, flat); // [N, dim]
      return tf.reshape(rows, [...ids.shape, this.embeddingDim]); // [..., dim]
    });
  }

  parameters(): Record<string, tf.Variable> {
    return { weight: this.weight };
  }

  dispose(): void {
    this.weight.dispose();
  }
}
