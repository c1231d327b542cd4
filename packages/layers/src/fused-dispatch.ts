import * as tf from '@tensorflow/tfjs-core';
import { isRecordingGradients } from './matmul.js';

// Generating one token of a small model (stories260K: dim 64) costs far more in tfjs's fixed cost per kernel
// (~1–4 µs on wasm) than in arithmetic: the composite layers ran 353 kernels per decoded token (tf.profile).
// A fused kernel does the work of several (./kernels, registered by `registerFusedKernels` or `useBackend`).
// They have no gradients, so they run only outside gradient recording, and only on the backends they are
// registered for; everywhere else the composite ops run, which stay the reference the kernels are tested
// against. Every op with a fused form dispatches through `runFused`, so no layer branches on it:
//
//   return runFused(FUSED.rmsNorm, { x, weight }, { eps })?.[0] ?? composite(x, weight, eps);

/** Whether the fused kernel `kernelName` would run now: registered for this backend, no gradient recorded. */
export function canRunFused(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined && !isRecordingGradients();
}

/** The outputs of the fused kernel `kernelName` when it can run now (see `canRunFused`), else null. */
export function runFused(
  kernelName: string,
  inputs: tf.NamedTensorMap,
  attrs: object = {},
): tf.Tensor[] | null {
  if (!canRunFused(kernelName)) return null;
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
}
