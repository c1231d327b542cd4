import { type DecoderStepAttrs, FUSED } from '../fused-kernel-names.js';
import { dotProducts, weightedSum } from './attention.js';
import type { Float32Input, Float32Kernel } from './float32-kernel.js';
import { normalizeRows } from './rms-norm.js';
import { rotate } from './rotary-heads.js';
import { decoderStepInWasm } from './wasm/decoder-step-wasm.js';

// One decoder layer for one new token per row, in one kernel instead of ~15 (two norms, seven projections, the
// rotary heads, the cache write, attention, the SwiGLU, two residual adds). For a model as small as stories260K
// (dim 64) the kernels' fixed cost is most of a decoded token (../fused-dispatch.ts). On wasm it runs as
// WebAssembly SIMD inside the backend's heap (./wasm/decoder-step.c, `computeInWasm`); on cpu, and on wasm where
// that module cannot compile, as the plain loops below, which are slower than the backend's matrix products
// once the layer is wide: how wide a layer each runs is `decoderStepMaxMacs` (../backend-policy.ts). It writes
// the token's key and value into the KV cache's buffers in place at `offset`, as the kvWrite kernel does. The
// reference is the layer's composite path, the same steps in the same order; the loops below accumulate in
// float64 and the SIMD build in float32 four lanes at a time (the backends' products in float32, in their own
// order), so they agree to float32 rounding, not bit for bit.

let scores = new Float64Array(0); // one query head's scores
let accumulator = new Float64Array(0); // one projection's sums
let scratch = new Float32Array(0); // the row's intermediate vectors

export const decoderStepKernel: Float32Kernel<DecoderStepAttrs> = {
  kernelName: FUSED.decoderStep,
  inputNames: [
    'h',
    'attentionNorm',
    'wq',
    'wk',
    'wv',
    'wo',
    'feedForwardNorm',
    'wGate',
    'wUp',
    'wDown',
    'keyBuffer',
    'valueBuffer',
    'cos',
    'sin',
    'mask',
  ],
  outputShapes: (shapes, { nHeads, nKvHeads, offset }) => {
    const [
      h,
      attentionNorm,
      wq,
      wk,
      wv,
      wo,
      feedForwardNorm,
      wGate,
      wUp,
      wDown,
      keys,
      values,
      cos,
      sin,
      mask,
    ] = shapes;
    const [B, dim] = h as [number, number];
    const [, nKv, room, headDim] = keys as [number, number, number, number];
    const hidden = wGate?.[1];
    const is = (shape: number[] | undefined, expected: number[]) =>
      shape?.length === expected.length && shape.every((size, i) => size === expected[i]);
    const tables = (shape: number[] | undefined) =>
      shape?.length === 4 && (shape[0] === 1 || shape[0] === B) && is(shape.slice(1), [1, 1, headDim]);
    const keyLength = offset + 1;
    if (
      h?.length !== 2 ||
      nKv !== nKvHeads ||
      nHeads % nKvHeads !== 0 ||
      hidden === undefined ||
      !is(attentionNorm, [dim]) ||
      !is(feedForwardNorm, [dim]) ||
      !is(wq, [dim, nHeads * headDim]) ||
      !is(wk, [dim, nKvHeads * headDim]) ||
      !is(wv, [dim, nKvHeads * headDim]) ||
      !is(wo, [nHeads * headDim, dim]) ||
      !is(wGate, [dim, hidden]) ||
      !is(wUp, [dim, hidden]) ||
      !is(wDown, [hidden, dim]) ||
      !is(keys, [B, nKvHeads, room, headDim]) ||
      !is(values, [B, nKvHeads, room, headDim]) ||
      keyLength > room ||
      !tables(cos) ||
      !tables(sin) ||
      (mask !== undefined &&
        !(mask.length === 4 && (mask[0] === 1 || mask[0] === B) && is(mask.slice(1), [1, 1, keyLength])))
    ) {
      throw new Error(
        `${FUSED.decoderStep}: h [${h}], q/k/v/o [${wq}] [${wk}] [${wv}] [${wo}], gate/up/down [${wGate}] [${wUp}] [${wDown}], cache [${keys}] at ${offset}, tables [${cos}]${mask ? `, mask [${mask}]` : ', no mask'} do not make one layer of ${nHeads} / ${nKvHeads} heads`,
      );
    }
    return [[B, dim]];
  },
  computeInWasm: decoderStepInWasm,
  compute(inputs, [out], attrs) {
    const [
      h,
      attentionNorm,
      wq,
      wk,
      wv,
      wo,
      feedForwardNorm,
      wGate,
      wUp,
      wDown,
      keys,
      values,
      cos,
      sin,
      mask,
    ] = inputs as (Float32Input | undefined)[];
    const { nHeads, nKvHeads, eps, offset } = attrs;
    const [B, dim] = h!.shape as [number, number];
    const [, , room, headDim] = keys!.shape as [number, number, number, number];
    const hidden = wGate!.shape[1]!;
    const groupSize = nHeads / nKvHeads;
    const keyLength = offset + 1;
    const qWidth = nHeads * headDim;
    const kvWidth = nKvHeads * headDim;
    // scratch: normed [dim] | q [qWidth] | rotated q [qWidth] | k [kvWidth] | v [kvWidth] | merged [qWidth] |
    // residual [dim] | gate [hidden] | up [hidden]
    const sizes = [dim, qWidth, qWidth, kvWidth, kvWidth, qWidth, dim, hidden, hidden];
    const total = sizes.reduce((sum, size) => sum + size, 0);
    if (scratch.length < total) scratch = new Float32Array(total);
    if (accumulator.length < Math.max(dim, qWidth, hidden)) {
      accumulator = new Float64Array(Math.max(dim, qWidth, hidden));
    }
    if (scores.length < keyLength) scores = new Float64Array(keyLength);
    const views: Float32Array[] = [];
    for (let i = 0, at = 0; i < sizes.length; at += sizes[i]!, i++) {
      views.push(scratch.subarray(at, at + sizes[i]!));
    }
    const [normed, q, rotated, k, v, merged, residual, gate, up] = views as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const queryScale = Math.fround(1 / Math.sqrt(headDim));
    const [maskBatch = 1] = mask?.shape ?? [];
    const [tablesBatch] = cos!.shape as [number];
    for (let b = 0; b < B; b++) {
      const x = h!.values.subarray(b * dim, (b + 1) * dim);
      // attention: normed → q, k, v → rotated q (scaled) and k → the cache → merged heads → residual
      normalizeRows(x, attentionNorm!.values, eps, normed);
      project(normed, wq!.values, q, accumulator);
      project(normed, wk!.values, k, accumulator);
      project(normed, wv!.values, v, accumulator);
      const table = (tablesBatch === 1 ? 0 : b) * headDim;
      for (let head = 0; head < nHeads; head++) {
        rotate(
          q,
          head * headDim,
          rotated,
          head * headDim,
          cos!.values,
          sin!.values,
          table,
          headDim,
          queryScale,
        );
      }
      for (let kv = 0; kv < nKvHeads; kv++) {
        const at = ((b * nKvHeads + kv) * room + offset) * headDim; // [B, nKv, room, hd]
        rotate(k, kv * headDim, keys!.values, at, cos!.values, sin!.values, table, headDim, 1);
        values!.values.set(v.subarray(kv * headDim, (kv + 1) * headDim), at);
      }
      for (let head = 0; head < nHeads; head++) {
        const block = (b * nKvHeads + Math.floor(head / groupSize)) * room * headDim;
        dotProducts(rotated, head * headDim, keys!.values, block, headDim, keyLength, scores);
        if (mask) {
          const maskFrom = (maskBatch === 1 ? 0 : b) * keyLength;
          for (let j = 0; j < keyLength; j++) {
            scores[j] = Math.fround(Math.fround(scores[j]!) + mask.values[maskFrom + j]!);
          }
        }
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < keyLength; j++) max = Math.max(max, scores[j]!);
        let sum = 0;
        for (let j = 0; j < keyLength; j++) {
          const weight = Math.exp(scores[j]! - max);
          scores[j] = weight;
          sum += weight;
        }
        weightedSum(scores, values!.values, block, headDim, keyLength, 1 / sum, merged, head * headDim);
      }
      project(merged, wo!.values, residual, accumulator);
      for (let d = 0; d < dim; d++) residual[d] = x[d]! + residual[d]!;
      // feed-forward: normed → silu(gate) ⊙ up → down → residual
      normalizeRows(residual, feedForwardNorm!.values, eps, normed);
      project(normed, wGate!.values, gate, accumulator);
      project(normed, wUp!.values, up, accumulator);
      for (let i = 0; i < hidden; i++) {
        const sigmoid = Math.fround(1 / (1 + Math.exp(-gate[i]!)));
        gate[i] = Math.fround(gate[i]! * sigmoid) * up[i]!;
      }
      const row = out!.subarray(b * dim, (b + 1) * dim);
      project(gate, wDown!.values, row, accumulator);
      for (let d = 0; d < dim; d++) row[d] = residual[d]! + row[d]!;
    }
  },
};

/**
 * out = x · weight, weight [x.length, out.length] row-major; sums in float64 (sum: scratch of ≥ out.length).
 * Four rows of the weight per pass over the sums: a quarter of the loads and stores of `sum`.
 */
function project(x: Float32Array, weight: Float32Array, out: Float32Array, sum: Float64Array): void {
  const width = out.length;
  const rows = x.length;
  sum.fill(0, 0, width);
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const x0 = x[i]!;
    const x1 = x[i + 1]!;
    const x2 = x[i + 2]!;
    const x3 = x[i + 3]!;
    const r0 = i * width;
    const r1 = r0 + width;
    const r2 = r1 + width;
    const r3 = r2 + width;
    for (let j = 0; j < width; j++) {
      sum[j] =
        sum[j]! +
        (x0 * weight[r0 + j]! + x1 * weight[r1 + j]!) +
        (x2 * weight[r2 + j]! + x3 * weight[r3 + j]!);
    }
  }
  for (; i < rows; i++) {
    const xi = x[i]!;
    const row = i * width;
    for (let j = 0; j < width; j++) sum[j] = sum[j]! + xi * weight[row + j]!;
  }
  for (let j = 0; j < width; j++) out[j] = sum[j]!;
}
