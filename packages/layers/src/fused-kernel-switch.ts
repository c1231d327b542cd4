import * as tf from '@tensorflow/tfjs-core';
import { isRecordingGradients } from './matmul.js';

// Generating one token of a small model (stories260K: dim 64) costs far more in tfjs's fixed cost per kernel
// (~1–4 µs on wasm) than in arithmetic: the composite layers ran 353 kernels per decoded token (tf.profile).
// The fused kernels (fused-*.ts) each do the work of several of them, which brought that to about 100 and
// doubled the tokens per second. They have no gradients, so the layers use them only outside gradient
// recording, and only where they are registered (wasm, cpu); the composite ops stay the reference they are
// tested against, and what every other case runs (training, webgpu, tensorflow).

let enabled = true;

/** Turns the fused inference kernels on (the default) or off; off, every layer runs its composite ops. */
export function setFusedKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether the fused inference kernels are on (see `setFusedKernelsEnabled`). */
export function fusedKernelsEnabled(): boolean {
  return enabled;
}

/** Whether a layer should run `kernelName` now: fused kernels on, the kernel registered, no gradient recorded. */
export function canUseFusedKernel(kernelName: string): boolean {
  return enabled && tf.getKernel(kernelName, tf.getBackend()) !== undefined && !isRecordingGradients();
}
