import * as tf from '@tensorflow/tfjs-core';

/**
 * Global-norm clipping (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_: the norm of all gradients
 * together, ‖g‖ = √Σ‖gᵢ‖²; when it exceeds maxNorm every gradient is scaled by maxNorm / (‖g‖ + 1e-6).
 * Returns the clipped gradients (new tensors; the inputs are left alone) and the norm before clipping.
 * Asynchronous because the norm is read back with `data()`: WebGPU in Node has no synchronous read.
 */
export async function clipGradNorm(
  gradients: Map<string, tf.Tensor>,
  maxNorm: number,
): Promise<{ gradients: Map<string, tf.Tensor>; norm: number }> {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const norm = await globalNorm(gradients);
  const coefficient = maxNorm / (norm + 1e-6);
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, gradient] of gradients) {
    clipped.set(name, coefficient < 1 ? tf.mul(gradient, coefficient) : tf.clone(gradient));
  }
  return { gradients: clipped, norm };
}

/**
 * √Σ‖gᵢ‖² over every tensor, read back as a number. The per-tensor sums are stacked and summed, not added
 * with addN: WebGPU's AddN binds every input as a storage buffer, and a model has more parameter tensors than
 * the 8 a shader stage may bind by default (the pipeline is then invalid and the sum silently wrong), while
 * stack (concat) splits its inputs to fit.
 */
export async function globalNorm(gradients: Map<string, tf.Tensor>): Promise<number> {
  const squared = tf.tidy(() => tf.sum(tf.stack([...gradients.values()].map((g) => tf.sum(tf.square(g))))));
  const value = (await squared.data())[0]!;
  squared.dispose();
  return Math.sqrt(value);
}
