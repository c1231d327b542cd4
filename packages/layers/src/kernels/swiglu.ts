import { FUSED } from '../fused-kernel-names.js';
import type { Float32Kernel } from './float32-kernel.js';

// silu(gate) ⊙ up = gate · sigmoid(gate) · up in one kernel instead of three: see ../fused-dispatch.ts for
// why. `swiGlu`'s composite (../feed-forward.ts) is the reference.
export const swiGluKernel: Float32Kernel<Record<string, never>> = {
  kernelName: FUSED.swiGlu,
  inputNames: ['gate', 'up'],
  outputShapes: ([gateShape, upShape]) => {
    if (gateShape!.length !== upShape!.length || gateShape!.some((size, i) => size !== upShape![i])) {
      throw new Error(`${FUSED.swiGlu}: gate [${gateShape}] and up [${upShape}] differ in shape`);
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
};
