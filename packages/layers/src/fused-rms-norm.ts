import * as tf from '@tensorflow/tfjs-core';
import { registerFloat32Kernel } from './float32-kernel.js';

/** Name of the fused RMSNorm kernel (wasm and cpu). */
export const FUSED_RMS_NORM = 'MiniLlamaRmsNorm';
/** Name of the fused residual add + RMSNorm kernel (wasm and cpu). */
export const FUSED_ADD_RMS_NORM = 'MiniLlamaAddRmsNorm';

interface RmsNormAttrs {
  eps: number;
}

// x · rsqrt(mean(x²) + eps) · weight in one kernel instead of six (square, mean, add, rsqrt, mul, mul), and
// the same after the residual add that precedes every norm but the first (one kernel instead of seven): see
// fused-kernel-switch.ts for why. RmsNorm.apply and RmsNorm.addAndApply's composites are the reference.

function checkShapes(kernelName: string, x: number[], weight: number[]): void {
  if (weight.length !== 1 || x[x.length - 1] !== weight[0]) {
    throw new Error(`${kernelName}: x [${x}] and weight [${weight}] do not share the last dimension`);
  }
}

/** out = x · rsqrt(mean(x²) + eps) · gains, row by row over the last axis, in float32 steps. */
function normalizeRows(x: Float32Array, gains: Float32Array, eps: number, out: Float32Array): void {
  const dim = gains.length;
  for (let start = 0; start < x.length; start += dim) {
    let sumSquares = 0;
    for (let d = 0; d < dim; d++) sumSquares += x[start + d]! * x[start + d]!;
    const scale = Math.fround(1 / Math.sqrt(Math.fround(sumSquares / dim) + eps));
    for (let d = 0; d < dim; d++) out[start + d] = Math.fround(x[start + d]! * scale) * gains[d]!;
  }
}

registerFloat32Kernel<RmsNormAttrs>({
  kernelName: FUSED_RMS_NORM,
  inputNames: ['x', 'weight'],
  outputShapes: ([xShape, weightShape]) => {
    checkShapes(FUSED_RMS_NORM, xShape!, weightShape!);
    return [xShape!];
  },
  compute([x, weight], [out], { eps }) {
    normalizeRows(x!.values, weight!.values, eps, out!);
  },
});

registerFloat32Kernel<RmsNormAttrs>({
  kernelName: FUSED_ADD_RMS_NORM,
  inputNames: ['x', 'residual', 'weight'],
  outputShapes: ([xShape, residualShape, weightShape]) => {
    checkShapes(FUSED_ADD_RMS_NORM, xShape!, weightShape!);
    if (residualShape!.length !== xShape!.length || residualShape!.some((size, i) => size !== xShape![i])) {
      throw new Error(`${FUSED_ADD_RMS_NORM}: x [${xShape}] and residual [${residualShape}] differ in shape`);
    }
    return [xShape!, xShape!];
  },
  compute([x, residual, weight], [sum, out], { eps }) {
    for (let i = 0; i < sum!.length; i++) sum![i] = x!.values[i]! + residual!.values[i]!; // rounded as it is stored
    normalizeRows(sum!, weight!.values, eps, out!);
  },
});

/** x: [..., dim], weight: [dim] → [..., dim]; no gradient (see `canUseFusedKernel`). */
export function fusedRmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const attrs: RmsNormAttrs = { eps };
  const [y] = tf
    .engine()
    .runKernel(FUSED_RMS_NORM, { x, weight }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return y!;
}

/** x, residual: [..., dim], weight: [dim] → [x + residual, its RMSNorm], both [..., dim]; no gradient. */
export function fusedAddRmsNorm(
  x: tf.Tensor,
  residual: tf.Tensor,
  weight: tf.Tensor,
  eps: number,
): [tf.Tensor, tf.Tensor] {
  const attrs: RmsNormAttrs = { eps };
  const inputs = { x, residual, weight };
  const outputs = tf.engine().runKernel(FUSED_ADD_RMS_NORM, inputs, attrs as unknown as tf.NamedAttrMap);
  return outputs as unknown as [tf.Tensor, tf.Tensor];
}
