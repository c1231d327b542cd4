import * as tf from '@tensorflow/tfjs-core';
import { registerFloat32Kernel } from './float32-kernel.js';

/** Name of the fused SwiGLU gating kernel (wasm and cpu). */
export const FUSED_SWIGLU = 'MiniLlamaSwiGlu';

// silu(gate) ⊙ up = gate · sigmoid(gate) · up in one kernel instead of three: see fused-kernel-switch.ts for
// why. FeedForward.apply's composite is the reference.
registerFloat32Kernel<Record<string, never>>({
  kernelName: FUSED_SWIGLU,
  inputNames: ['gate', 'up'],
  outputShapes: ([gateShape, upShape]) => {
    if (gateShape!.length !== upShape!.length || gateShape!.some((size, i) => size !== upShape![i])) {
      throw new Error(`${FUSED_SWIGLU}: gate [${gateShape}] and up [${upShape}] differ in shape`);
    }
    return [gateShape!];
  },
  compute([gate, up], [out]) {
    const g = gate!.values;
    const u = up!.values;
    const y = out!;
    for (let i = 0; i < g.length; i++) {
      const sigmoid = Math.fround(1 / (1 + Math.exp(-g[i]!)));
      y[i] = Math.fround(g[i]! * sigmoid) * u[i]!;
    }
  },
});

/** silu(gate) ⊙ up for gate, up: [..., hidden] → [..., hidden]; no gradient (see `canUseFusedKernel`). */
export function fusedSwiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  const [y] = tf.engine().runKernel(FUSED_SWIGLU, { gate, up }, {}) as tf.Tensor[];
  return y!;
}
