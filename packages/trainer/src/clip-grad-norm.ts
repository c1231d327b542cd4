import * as tf from '@tensorflow/tfjs-core';

/**
 * Global-norm clipping (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_: the norm of all gradients
 * together, ‖g‖ = √Σ‖gᵢ‖²; when it exceeds maxNorm every gradient is scaled by maxNorm / (‖g‖ + 1e-6).
 * Returns the clipped gradients (new tensors; the inputs are left alone) and the norm before clipping.
 */
export function clipGradNorm(
  gradients: Map<string, tf.Tensor>,
  maxNorm: number,
): { gradients: Map<string, tf.Tensor>; norm: number } {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const norm = globalNorm(gradients);
  const coefficient = maxNorm / (norm + 1e-6);
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, gradient] of gradients) {
    clipped.set(name, coefficient < 1 ? tf.mul(gradient, coefficient) : tf.clone(gradient));
  }
  return { gradients: clipped, norm };
}

/** √Σ‖gᵢ‖² over every tensor, read back as a number. */
export function globalNorm(gradients: Map<string, tf.Tensor>): number {
  const squared = tf.tidy(() => tf.addN([...gradients.values()].map((g) => tf.sum(tf.square(g)))));
  const value = squared.dataSync()[0]!;
  squared.dispose();
  return Math.sqrt(value);
}
