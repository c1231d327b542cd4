import { FUSED, type RmsNormAttrs } from '../fused-kernel-names.js';
import type { Float32Kernel } from './float32-kernel.js';

// x · rsqrt(mean(x²) + eps) · weight in one kernel instead of six (square, mean, add, rsqrt, mul, mul): see
// ../fused-dispatch.ts for why. `rmsNorm`'s composite (../rms-norm.ts) is the reference.

function checkShapes(kernelName: string, x: number[], weight: number[]): void {
  if (weight.length !== 1 || x[x.length - 1] !== weight[0]) {
    throw new Error(`${kernelName}: x [${x}] and weight [${weight}] do not share the last dimension`);
  }
}

/** out = x · rsqrt(mean(x²) + eps) · gains, row by row over the last axis, in float32 steps. */
export function normalizeRows(x: Float32Array, gains: Float32Array, eps: number, out: Float32Array): void {
  const dim = gains.length;
  for (let start = 0; start < x.length; start += dim) {
    let sumSquares = 0;
    for (let d = 0; d < dim; d++) sumSquares += x[start + d]! * x[start + d]!;
    const scale = Math.fround(1 / Math.sqrt(Math.fround(sumSquares / dim) + eps));
    for (let d = 0; d < dim; d++) out[start + d] = Math.fround(x[start + d]! * scale) * gains[d]!;
  }
}

export const rmsNormKernel: Float32Kernel<RmsNormAttrs> = {
  kernelName: FUSED.rmsNorm,
  inputNames: ['x', 'weight'],
  outputShapes: ([xShape, weightShape]) => {
    checkShapes(FUSED.rmsNorm, xShape!, weightShape!);
    return [xShape!];
  },
  compute([x, weight], [out], { eps }) {
    normalizeRows(x!.values, weight!.values, eps, out!);
  },
};
