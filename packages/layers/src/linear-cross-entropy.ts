import * as tf from '@tensorflow/tfjs-core';
import type { CrossEntropyOptions } from './cross-entropy.js';
import { swapLastTwoAxes } from './matmul.js';

/** Rows of logits computed at once: chunks of about 4M floats (16 MB) whatever the vocabulary. */
const LOGITS_PER_CHUNK = 1 << 22;

export interface LinearCrossEntropyOptions extends CrossEntropyOptions {
  /** Rows per chunk; default keeps a chunk's logits near 16 MB. */
  chunkRows?: number;
}

/**
 * Mean cross-entropy of the logits h · W against integer targets, without ever holding all the logits.
 * hidden: [..., dim], weight: [dim, vocab], targets: [...] int32 → scalar.
 *
 * Same value and gradients as `crossEntropy(matMul(h, W), targets)`, but the [N, vocab] logits (262 MB for
 * 2,048 tokens of a 32,000-token vocabulary, and several more tensors that size in the backward pass) exist
 * only a chunk of rows at a time; the backward pass recomputes each chunk's logits (one extra h·W, the
 * price of the memory) and accumulates dW = Σ hᵀ·dlogits and dh = dlogits·Wᵀ chunk by chunk.
 */
export function linearCrossEntropy(
  hidden: tf.Tensor,
  weight: tf.Tensor,
  targets: tf.Tensor,
  { ignoreIndex, chunkRows }: LinearCrossEntropyOptions = {},
): tf.Scalar {
  const dim = hidden.shape[hidden.rank - 1] as number;
  if (weight.rank !== 2 || weight.shape[0] !== dim) {
    throw new Error(
      `linearCrossEntropy: weight [${weight.shape}] does not map hidden [${hidden.shape}] to logits`,
    );
  }
  if (targets.dtype !== 'int32') {
    throw new Error(`linearCrossEntropy: targets have dtype ${targets.dtype}, expected int32`);
  }
  if (hidden.size / dim !== targets.size || hidden.rank !== targets.rank + 1) {
    throw new Error(`linearCrossEntropy: hidden [${hidden.shape}] do not match targets [${targets.shape}]`);
  }
  const vocab = weight.shape[1] as number;
  const rows = targets.size;
  const chunk = chunkRows ?? Math.max(1, Math.floor(LOGITS_PER_CHUNK / vocab));
  return tf.tidy(() => {
    const flatHidden = tf.reshape(hidden, [rows, dim]) as tf.Tensor2D; // [N, dim]
    let flatTargets = tf.reshape(targets, [rows]) as tf.Tensor1D; // [N]
    let weights = tf.ones([rows]) as tf.Tensor1D; // [N]: 1 where the position counts
    if (ignoreIndex !== undefined) {
      const kept = tf.notEqual(flatTargets, ignoreIndex);
      weights = tf.cast(kept, 'float32') as tf.Tensor1D;
      flatTargets = tf.where(kept, flatTargets, tf.zerosLike(flatTargets)) as tf.Tensor1D;
    }
    return chunkedLoss(chunk)(flatHidden, weight, flatTargets, weights) as tf.Scalar;
  });
}

// Rows [start, start + size) of each per-row input.
function rowsOf(start: number, size: number, ...tensors: tf.Tensor[]): tf.Tensor[] {
  return tensors.map((t) =>
    t.rank === 1 ? tf.slice(t, [start], [size]) : tf.slice(t, [start, 0], [size, -1]),
  );
}

/** Softmax cross-entropy pieces of one chunk: per-row loss and the gradient of Σ loss·scale wrt its logits. */
function chunkLogitsGradient(logits: tf.Tensor2D, targets: tf.Tensor1D, scale: tf.Tensor1D): tf.Tensor2D {
  const [rows, vocab] = logits.shape;
  const logSumExp = tf.logSumExp(logits, 1, true); // [n, 1]
  const scaled = tf.mul(tf.exp(tf.sub(logits, logSumExp)), tf.expandDims(scale, 1)); // softmax · scale
  const cells = tf.stack([tf.range(0, rows, 1, 'int32'), targets], 1); // [n, 2]
  const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(vocab, 'int32')), targets);
  const atTargets = tf.sub(tf.gather(tf.reshape(scaled, [-1]), flatIndex), scale);
  return tf.tensorScatterUpdate(scaled, cells, atTargets) as tf.Tensor2D; // (softmax − onehot) · scale
}

function chunkedLoss(chunk: number) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [hidden, weight, targets, weights, save] = args as [
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.GradSaveFunc,
    ];
    const rows = targets.size;
    const vocab = weight.shape[1];
    const count = tf.maximum(tf.sum(weights), 1); // positions that count (at least one: never 0/0)
    let total = tf.scalar(0);
    for (let start = 0; start < rows; start += chunk) {
      const size = Math.min(chunk, rows - start);
      const next = tf.tidy(() => {
        const [h, y, w] = rowsOf(start, size, hidden, targets, weights) as [
          tf.Tensor2D,
          tf.Tensor1D,
          tf.Tensor1D,
        ];
        const logits = tf.matMul(h, weight); // [n, vocab]
        const flatIndex = tf.add(tf.mul(tf.range(0, size, 1, 'int32'), tf.scalar(vocab, 'int32')), y);
        const perRow = tf.sub(tf.logSumExp(logits, 1), tf.gather(tf.reshape(logits, [-1]), flatIndex)); // [n]
        return tf.add(total, tf.sum(tf.mul(perRow, w))) as tf.Scalar;
      });
      total.dispose();
      total = next;
    }
    save([hidden, weight, targets, weights, count]);
    return {
      value: tf.div(total, count),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [h, W, y, w, n] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Scalar];
        const scale = tf.div(tf.mul(w, dy as tf.Scalar), n); // [N]: d loss / d (row loss)
        const weightT = swapLastTwoAxes(W); // [vocab, dim], materialised once: the fast matMul layout
        let weightGrad: tf.Tensor = tf.zerosLike(W);
        const hiddenGrads: tf.Tensor[] = [];
        for (let start = 0; start < y.size; start += chunk) {
          const size = Math.min(chunk, y.size - start);
          const [hiddenGrad, nextWeightGrad] = tf.tidy(() => {
            const [hc, yc, sc] = rowsOf(start, size, h, y, scale) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
            const logitsGrad = chunkLogitsGradient(tf.matMul(hc, W), yc, sc); // [n, vocab]
            return [
              tf.matMul(logitsGrad, weightT),
              tf.add(weightGrad, tf.matMul(swapLastTwoAxes(hc), logitsGrad)),
            ];
          });
          hiddenGrads.push(hiddenGrad!);
          weightGrad.dispose();
          weightGrad = nextWeightGrad!;
        }
        return [tf.concat(hiddenGrads, 0), weightGrad, tf.zerosLike(y), tf.zerosLike(w)];
      },
    };
  });
}
