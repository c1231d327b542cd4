import * as tf from '@tensorflow/tfjs-core';
import type { CrossEntropyOptions } from './cross-entropy.js';
import { isRecordingGradients, swapLastTwoAxes } from './matmul.js';

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
 * only a chunk of rows at a time. When a gradient is being recorded, each chunk's gradients are computed
 * while its logits are at hand: dlogits = (softmax − onehot)·w, dh = dlogits·Wᵀ, dW += hᵀ·dlogits, all
 * scaled by d loss later (the loss is linear in them). That costs [N, dim] + [dim, vocab] floats kept until
 * the backward pass, and saves recomputing h·W and the softmax there (on stories15M shapes, a sixth of a
 * training step on wasm).
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
    return isRecordingGradients()
      ? (chunkedLossWithGradients(chunk)(flatHidden, weight, flatTargets, weights) as tf.Scalar)
      : chunkedLossValue(flatHidden, weight as tf.Tensor2D, flatTargets, weights, chunk);
  });
}

// Rows [start, start + size) of each per-row input.
function rowsOf(start: number, size: number, ...tensors: tf.Tensor[]): tf.Tensor[] {
  return tensors.map((t) =>
    t.rank === 1 ? tf.slice(t, [start], [size]) : tf.slice(t, [start, 0], [size, -1]),
  );
}

interface ChunkResult {
  /** Σ over the chunk's rows of w · (logSumExp(logits) − logits[target]) */
  loss: tf.Scalar;
  /** (softmax − onehot) · w: [n, vocab], only when asked for */
  logitsGrad?: tf.Tensor2D;
}

/** Loss of one chunk of rows from its logits, and optionally the gradient of that sum wrt the logits. */
function chunkLoss(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  w: tf.Tensor1D,
  withGradient: boolean,
): ChunkResult {
  const [rows, vocab] = logits.shape;
  const max = tf.max(logits, 1, true); // [n, 1]
  const exps = tf.exp(tf.sub(logits, max)); // [n, vocab]: the one exp pass
  const sums = tf.sum(exps, 1, true); // [n, 1]
  const logSumExp = tf.add(max, tf.log(sums)); // [n, 1]
  const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(vocab, 'int32')), targets); // [n]
  const atTargets = tf.gather(tf.reshape(logits, [-1]), flatIndex); // [n]
  const loss = tf.sum(tf.mul(tf.sub(tf.reshape(logSumExp, [rows]), atTargets), w)) as tf.Scalar;
  if (!withGradient) return { loss };
  const scaled = tf.mul(exps, tf.div(tf.expandDims(w, 1), sums)) as tf.Tensor2D; // softmax · w
  const cells = tf.stack([tf.range(0, rows, 1, 'int32'), targets], 1); // [n, 2]
  const onehotAt = tf.sub(tf.gather(tf.reshape(scaled, [-1]), flatIndex), w); // [n]
  const logitsGrad = tf.tensorScatterUpdate(scaled, cells, onehotAt) as tf.Tensor2D; // (softmax − onehot) · w
  return { loss, logitsGrad };
}

// Evaluation (nothing records a gradient): the loss only, a chunk at a time.
function chunkedLossValue(
  hidden: tf.Tensor2D,
  weight: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  chunk: number,
): tf.Scalar {
  const rows = targets.size;
  let total = tf.scalar(0);
  for (let start = 0; start < rows; start += chunk) {
    const size = Math.min(chunk, rows - start);
    const next = tf.tidy(() => {
      const [h, y, w] = rowsOf(start, size, hidden, targets, weights) as [
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor1D,
      ];
      return tf.add(total, chunkLoss(tf.matMul(h, weight), y, w, false).loss) as tf.Scalar;
    });
    total.dispose();
    total = next;
  }
  return tf.tidy(() => tf.div(total, tf.maximum(tf.sum(weights), 1)));
}

// Training: the loss, with every chunk's gradients computed in the forward pass (see linearCrossEntropy).
function chunkedLossWithGradients(chunk: number) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [hidden, weight, targets, weights, save] = args as [
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.GradSaveFunc,
    ];
    const rows = targets.size;
    const count = tf.maximum(tf.sum(weights), 1); // positions that count (at least one: never 0/0)
    const weightT = swapLastTwoAxes(weight); // [vocab, dim], materialised once: the fast matMul layout
    let total = tf.scalar(0);
    let weightGrad: tf.Tensor = tf.zerosLike(weight); // Σ hᵀ · dlogits: [dim, vocab]
    const hiddenGrads: tf.Tensor[] = []; // dlogits · Wᵀ per chunk: [n, dim]
    for (let start = 0; start < rows; start += chunk) {
      const size = Math.min(chunk, rows - start);
      const [nextTotal, hiddenGrad, nextWeightGrad] = tf.tidy(() => {
        const [h, y, w] = rowsOf(start, size, hidden, targets, weights) as [
          tf.Tensor2D,
          tf.Tensor1D,
          tf.Tensor1D,
        ];
        const { loss, logitsGrad } = chunkLoss(tf.matMul(h, weight), y, w, true);
        return [
          tf.add(total, loss),
          tf.matMul(logitsGrad!, weightT),
          tf.add(weightGrad, tf.matMul(swapLastTwoAxes(h), logitsGrad!)),
        ];
      });
      total.dispose();
      weightGrad.dispose();
      total = nextTotal as tf.Scalar;
      weightGrad = nextWeightGrad!;
      hiddenGrads.push(hiddenGrad!);
    }
    weightT.dispose();
    const hiddenGrad = tf.concat(hiddenGrads, 0);
    tf.dispose(hiddenGrads);
    save([hiddenGrad, weightGrad, count, targets, weights]);
    return {
      value: tf.div(total, count),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [dh, dW, n, y, w] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Scalar, tf.Tensor1D, tf.Tensor1D];
        const scale = tf.div(dy as tf.Scalar, n); // d loss / d (Σ row losses)
        return [tf.mul(dh, scale), tf.mul(dW, scale), tf.zerosLike(y), tf.zerosLike(w)];
      },
    };
  });
}
