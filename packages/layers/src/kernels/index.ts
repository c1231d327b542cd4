import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_BACKENDS, setSimdDecoderStep } from '../backend-policy.js';
import { attentionKernel } from './attention.js';
import { decoderStepKernel } from './decoder-step.js';
import { type Float32Backend, type Float32Kernel, registerFloat32Kernel } from './float32-kernel.js';
import { kvWriteKernel } from './kv-write.js';
import { rmsNormKernel } from './rms-norm.js';
import { rotaryHeadsKernel } from './rotary-heads.js';
import { swiGluKernel } from './swiglu.js';
import { decoderStepCompiles } from './wasm/decoder-step-wasm.js';

// The fused inference kernels (see ../fused-dispatch.ts): registered only when asked, so that importing
// @mini-llama/layers changes nothing in tfjs's registry. `useBackend` does not know them (it sits below the
// model packages); whoever starts a backend for generation or evaluation calls `registerFusedKernels()`.

const KERNELS: readonly Float32Kernel<never>[] = [
  rmsNormKernel,
  swiGluKernel,
  rotaryHeadsKernel,
  attentionKernel,
  kvWriteKernel,
  decoderStepKernel,
];

/** The names the fused kernels register under. */
export const FUSED_KERNEL_NAMES: readonly string[] = KERNELS.map((kernel) => kernel.kernelName);

/**
 * Registers the fused inference kernels for wasm and cpu (default: both; registering twice is harmless).
 * From then on the layers run them there whenever no gradient is being recorded: generation decodes two to
 * six times as fast on wasm (docs/performance.md), with the same tokens.
 */
export function registerFusedKernels(backends: readonly Float32Backend[] = FUSED_KERNEL_BACKENDS): void {
  for (const kernel of KERNELS) registerFloat32Kernel(kernel, backends);
  if (backends.includes('wasm')) setSimdDecoderStep(decoderStepCompiles());
}

/** Removes them again: every layer then runs its composite ops (the reference), as on other backends. */
export function unregisterFusedKernels(): void {
  setSimdDecoderStep(false);
  for (const kernel of KERNELS) {
    for (const backend of FUSED_KERNEL_BACKENDS) {
      if (tf.getKernel(kernel.kernelName, backend)) tf.unregisterKernel(kernel.kernelName, backend);
    }
  }
}

export type { Float32Backend, Float32Input, Float32Kernel } from './float32-kernel.js';
export { registerFloat32Kernel } from './float32-kernel.js';
