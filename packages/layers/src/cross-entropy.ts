import * as tf from '@tensorflow/tfjs-core';

// Fused softmax cross-entropy over integer targets. The textbook composition (logSoftmax, then gather the
// target column) needs gather's gradient, UnsortedSegmentSum, which wasm lacks; a one-hot target matrix
// would cost another tensor as large as the logits. Here the loss is logsumexp(z) − z[target] and its gradient the closed form
// (softmax(z) − onehot(target)) / count (e.g. Goodfellow et al. 2016, §6.2.2.3).
const fusedCrossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [logits, targets, weights, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
  const [, vocab] = logits.shape;
  const count = tf.maximum(tf.sum(weights), 1); // positions that count (at least one, so 0/0 never happens)
  const logSumExp = tf.logSumExp(logits, 1); // [N]
  const targetLogits = tf.gather(tf.reshape(logits, [-1]), flatTargetIndices(targets, vocab)); // [N]
  const loss = tf.div(tf.sum(tf.mul(tf.sub(logSumExp, targetLogits), weights)), count);
  save([logits, targets, weights, count, logSumExp]);
  return {
    value: loss,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [savedLogits, savedTargets, savedWeights, savedCount, savedLogSumExp] = saved as [
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor1D,
        tf.Scalar,
        tf.Tensor1D,
      ];
      const perRow = tf.div(tf.mul(savedWeights, dy as tf.Scalar), savedCount); // [N]
      const softmax = tf.exp(tf.sub(savedLogits, tf.expandDims(savedLogSumExp, 1))); // [N, V]
      const scaled = tf.mul(softmax, tf.expandDims(perRow, 1)); // [N, V]: softmax · perRow
      // Subtract perRow at each row's target only: a scatter of N values, not an [N, V] one-hot matrix.
      const rows = savedTargets.size;
      const targetCells = tf.stack([tf.range(0, rows, 1, 'int32'), savedTargets], 1); // [N, 2]
      const atTargets = tf.sub(
        tf.gather(tf.reshape(scaled, [-1]), flatTargetIndices(savedTargets, vocab)),
        perRow,
      );
      const grad = tf.tensorScatterUpdate(scaled, targetCells, atTargets); // [N, V]
      return [grad, tf.zerosLike(savedTargets), tf.zerosLike(savedWeights)];
    },
  };
});

/** Index of each row's target in the flattened [N·V] logits: n·V + target[n]. */
function flatTargetIndices(targets: tf.Tensor1D, vocab: number): tf.Tensor1D {
  return tf.add(tf.mul(tf.range(0, targets.size, 1, 'int32'), tf.scalar(vocab, 'int32')), targets);
}

export interface CrossEntropyOptions {
  /** Targets equal to this id add nothing to the loss or the count (PyTorch's ignore_index; -100 there). */
  ignoreIndex?: number;
}

/**
 * Mean next-token cross-entropy. logits: [..., vocab], targets: [...] int32 → scalar. Positions whose target
 * is `ignoreIndex` are left out of both the sum and the mean, as `torch.nn.functional.cross_entropy` does.
 */
export function crossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  { ignoreIndex }: CrossEntropyOptions = {},
): tf.Scalar {
  const vocab = logits.shape[logits.rank - 1] as number;
  if (targets.dtype !== 'int32')
    throw new Error(`crossEntropy: targets have dtype ${targets.dtype}, expected int32`);
  if (logits.size / vocab !== targets.size || logits.rank !== targets.rank + 1) {
    throw new Error(`crossEntropy: logits [${logits.shape}] do not match targets [${targets.shape}]`);
  }
  return tf.tidy(() => {
    const rows = targets.size;
    const flatLogits = tf.reshape(logits, [rows, vocab]) as tf.Tensor2D; // [N, V]
    let flatTargets = tf.reshape(targets, [rows]) as tf.Tensor1D; // [N]
    let weights = tf.ones([rows]) as tf.Tensor1D; // [N]
    if (ignoreIndex !== undefined) {
      const kept = tf.notEqual(flatTargets, ignoreIndex);
      weights = tf.cast(kept, 'float32') as tf.Tensor1D;
      flatTargets = tf.where(kept, flatTargets, tf.zerosLike(flatTargets)) as tf.Tensor1D; // any valid id
    }
    return fusedCrossEntropy(flatLogits, flatTargets, weights) as tf.Scalar;
  });
}
