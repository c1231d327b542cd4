import * as tf from '@tensorflow/tfjs-core';
import { FUSED, type HeadLayout } from '../fused-kernel-names.js';
import type { Float32Kernel } from './float32-kernel.js';

// From the projections to the layout attention reads, in one kernel instead of ~22 (three reshapes, RoPE on q
// and k at seven ops each, three transposes, the query scaling, the group reshape): see
// ../fused-dispatch.ts for why. `rotaryHeads`' composite (../rotary-heads.ts) is the reference; the rotation is
// the same float32 arithmetic (x·cos + (x·P)·sin, RoFormer eq. 34, P the signed pair swap), so it matches
// that composite bit for bit.
export const rotaryHeadsKernel: Float32Kernel<HeadLayout> = {
  kernelName: FUSED.rotaryHeads,
  inputNames: ['q', 'k', 'v', 'cos', 'sin'],
  outputShapes: ([qShape, kShape, vShape, cosShape], { batch: B, nHeads, nKvHeads }) => {
    const [tablesBatch, T, , headDim] = cosShape as [number, number, number, number];
    const size = (shape: number[] | undefined) => tf.util.sizeFromShape(shape!);
    if (
      (tablesBatch !== 1 && tablesBatch !== B) ||
      size(qShape) !== B * T * nHeads * headDim ||
      size(kShape) !== B * T * nKvHeads * headDim ||
      size(vShape) !== B * T * nKvHeads * headDim
    ) {
      throw new Error(
        `${FUSED.rotaryHeads}: q [${qShape}], k [${kShape}], v [${vShape}] do not hold B=${B}, T=${T} rows of ${nHeads}, ${nKvHeads}, ${nKvHeads} heads of ${headDim} (tables [${cosShape}])`,
      );
    }
    const groupSize = nHeads / nKvHeads;
    return [
      [B, nKvHeads, groupSize * T, headDim],
      [B, nKvHeads, T, headDim],
      [B, nKvHeads, T, headDim],
    ];
  },
  compute([q, k, v, cos, sin], [qOut, kOut, vOut], { batch: B, nHeads, nKvHeads, queryScale }) {
    const [tablesBatch, T, , headDim] = cos!.shape as [number, number, number, number];
    const scale = Math.fround(queryScale);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const table = ((tablesBatch === 1 ? 0 : b) * T + t) * headDim;
        // input rows are [B, T, heads, hd]; outputs [B, heads, T, hd] (q's heads grouped under their KV head)
        for (let h = 0; h < nHeads; h++) {
          const from = ((b * T + t) * nHeads + h) * headDim;
          rotate(
            q!.values,
            from,
            qOut!,
            ((b * nHeads + h) * T + t) * headDim,
            cos!.values,
            sin!.values,
            table,
            headDim,
            scale,
          );
        }
        for (let h = 0; h < nKvHeads; h++) {
          const from = ((b * T + t) * nKvHeads + h) * headDim;
          const to = ((b * nKvHeads + h) * T + t) * headDim;
          rotate(k!.values, from, kOut!, to, cos!.values, sin!.values, table, headDim, 1);
          vOut!.set(v!.values.subarray(from, from + headDim), to);
        }
      }
    }
  },
};

/** One head: out[2i] = x[2i]·cos − x[2i+1]·sin, out[2i+1] = x[2i+1]·cos + x[2i]·sin, times scale (float32). */
export function rotate(
  x: Float32Array,
  from: number,
  out: Float32Array,
  to: number,
  cos: Float32Array,
  sin: Float32Array,
  table: number,
  headDim: number,
  scale: number,
): void {
  const f32 = Math.fround;
  for (let d = 0; d < headDim; d += 2) {
    const even = x[from + d]!;
    const odd = x[from + d + 1]!;
    const first = f32(f32(even * cos[table + d]!) + f32(-odd * sin[table + d]!));
    const second = f32(f32(odd * cos[table + d + 1]!) + f32(even * sin[table + d + 1]!));
    out[to + d] = scale === 1 ? first : f32(first * scale);
    out[to + d + 1] = scale === 1 ? second : f32(second * scale);
  }
}
