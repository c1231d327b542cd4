import * as tf from '@tensorflow/tfjs-core';
import { transposedProductsAreFast } from './backend-policy.js';

/** Swap the last two axes: [..., M, N] → [..., N, M]. */
export function swapLastTwoAxes(x: tf.Tensor): tf.Tensor {
  const rank = x.rank;
  if (rank < 2) throw new Error(`swapLastTwoAxes: tensor has rank ${rank}, expected at least 2`);
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return tf.transpose(x, perm);
}

// tfjs's own matMul gradient calls matMul with transposeA / transposeB, which runs an order of magnitude
// slower than the plain layout on wasm (see backend-policy.ts). Materialising the transpose first is cheap
// (O(M·N) copies against O(M·N·K) multiply-adds) and keeps every product on the fast path:
// dA = dY · Bᵀ, dB = Aᵀ · dY.
const matMulWithFastGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved as [tf.Tensor, tf.Tensor];
      const upstream = dy as tf.Tensor;
      return [tf.matMul(upstream, swapLastTwoAxes(savedB)), tf.matMul(swapLastTwoAxes(savedA), upstream)];
    },
  };
});

/**
 * a: [..., M, K] · b: [..., K, N] → [..., M, N], both of the same rank (2 to 4) and batch shape.
 * Same value as `tf.matMul(a, b)`; its gradient avoids tfjs's slow transposed-matMul kernels.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || a.rank < 2) {
    throw new Error(`matMul: operands have shapes [${a.shape}] and [${b.shape}], expected equal ranks ≥ 2`);
  }
  if (a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new Error(`matMul: inner dimensions differ: [${a.shape}] · [${b.shape}]`);
  }
  // tf.matMul would broadcast unequal batch dims, but the gradient above does not reduce over them.
  if (a.shape.slice(0, -2).some((size, axis) => size !== b.shape[axis])) {
    throw new Error(`matMul: batch dimensions differ: [${a.shape}] · [${b.shape}]`);
  }
  // Outside a gradient computation (generation, evaluation) the custom-gradient wrapper only adds overhead, and
  // TensorFlow's C library multiplies transposed operands as fast as plain ones: there tfjs's own gradient
  // (transposeA / transposeB, no copies) is the faster one.
  return isRecordingGradients() && !transposedProductsAreFast()
    ? matMulWithFastGradient(a, b)
    : tf.matMul(a, b);
}

/**
 * Whether tfjs is recording operations for a gradient (inside tf.grad / tf.variableGrads). Reads the engine's
 * own test (`isTapeOn`, not part of tfjs's typed API), so it follows whatever tfjs counts as recording.
 */
export function isRecordingGradients(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return engine.isTapeOn ? engine.isTapeOn() : true; // unknown engine: always take the path with gradients
}
