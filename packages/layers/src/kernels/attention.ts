import { type AttentionAttrs, FUSED } from '../fused-kernel-names.js';
import type { Float32Kernel } from './float32-kernel.js';

let scores = new Float64Array(0); // scratch for one query row's scores, grown as needed

// softmax(q·kᵀ + mask)·v for every head, with the heads merged into rows, in one kernel instead of ~8 (the
// two products, the transpose of k, the mask's add and tile, the softmax, the merge's reshapes and transpose):
// see ../fused-dispatch.ts for why. Query head h reads key/value head ⌊h / G⌋ where it is stored, so K and V
// are never repeated. `attend`'s batched composite (../attention.ts) is the reference.
export const attentionKernel: Float32Kernel<AttentionAttrs> = {
  kernelName: FUSED.attention,
  inputNames: ['q', 'k', 'v', 'mask'],
  outputShapes: ([qShape, kShape, vShape, maskShape], { groupSize, keyLength }) => {
    const [B, nKv, rows, headDim] = qShape as [number, number, number, number];
    const T = rows / groupSize;
    const kvShape = [B, nKv, kShape![2]!, headDim];
    if (
      !Number.isInteger(T) ||
      keyLength < 1 ||
      keyLength > kShape![2]! ||
      [kShape!, vShape!].some((shape) => shape.length !== 4 || shape.some((size, i) => size !== kvShape[i]))
    ) {
      throw new Error(
        `${FUSED.attention}: q [${qShape}] (groups of ${groupSize}), k [${kShape}], v [${vShape}] (${keyLength} positions) do not match`,
      );
    }
    if (
      maskShape &&
      (maskShape.length !== 4 ||
        (maskShape[0] !== 1 && maskShape[0] !== B) ||
        maskShape[1] !== 1 ||
        (maskShape[2] !== 1 && maskShape[2] !== T) ||
        maskShape[3] !== keyLength)
    ) {
      throw new Error(
        `${FUSED.attention}: mask [${maskShape}] does not broadcast to [${B}, 1, ${T}, ${keyLength}]`,
      );
    }
    return [[B * T, nKv * groupSize * headDim]];
  },
  compute([q, k, v, mask], [out], { groupSize, keyLength }) {
    const [B, nKv, rows, headDim] = q!.shape as [number, number, number, number];
    const stored = k!.shape[2]!; // positions k and v have room for
    const T = rows / groupSize;
    const width = nKv * groupSize * headDim; // nHeads·hd
    const [maskBatch = 1, , maskRows = 1] = mask?.shape ?? [];
    if (scores.length < keyLength) scores = new Float64Array(keyLength);
    for (let b = 0; b < B; b++) {
      for (let kv = 0; kv < nKv; kv++) {
        const block = (b * nKv + kv) * stored * headDim; // this KV head's keys and values: [stored, hd]
        for (let row = 0; row < rows; row++) {
          const g = Math.floor(row / T); // row = g·T + t: query head kv·G + g of token t
          const t = row - g * T;
          const from = ((b * nKv + kv) * rows + row) * headDim;
          dotProducts(q!.values, from, k!.values, block, headDim, keyLength, scores);
          if (mask) {
            const maskFrom = ((maskBatch === 1 ? 0 : b) * maskRows + (maskRows === 1 ? 0 : t)) * keyLength;
            // in float32 as the composite, so that −1e9 swamps a score there as here (fully masked rows of
            // padding then get the same uniform weights)
            for (let j = 0; j < keyLength; j++) {
              scores[j] = Math.fround(Math.fround(scores[j]!) + mask.values[maskFrom + j]!);
            }
          }
          let max = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < keyLength; j++) max = Math.max(max, scores[j]!);
          let total = 0;
          for (let j = 0; j < keyLength; j++) {
            const weight = Math.exp(scores[j]! - max);
            scores[j] = weight;
            total += weight;
          }
          const to = (b * T + t) * width + (kv * groupSize + g) * headDim; // merged [B·T, nHeads·hd]
          weightedSum(scores, v!.values, block, headDim, keyLength, 1 / total, out!, to);
        }
      }
    }
  },
};

// The two products below work on eight dimensions at a time held in locals: with head dims of 8 (stories260K)
// a plain loop over d spends more on the loop than on the arithmetic (measured ~3x slower in V8). Buffers are
// parameters, not module variables, so that V8 keeps them in registers.

/** scores[j] = q · keys[j] for j < length; q starts at `from`, keys are rows of headDim from `start`. */
export function dotProducts(
  q: Float32Array,
  from: number,
  keys: Float32Array,
  start: number,
  headDim: number,
  length: number,
  scores: Float64Array,
): void {
  scores.fill(0, 0, length);
  let d = 0;
  for (; d + 8 <= headDim; d += 8) {
    const q0 = q[from + d]!;
    const q1 = q[from + d + 1]!;
    const q2 = q[from + d + 2]!;
    const q3 = q[from + d + 3]!;
    const q4 = q[from + d + 4]!;
    const q5 = q[from + d + 5]!;
    const q6 = q[from + d + 6]!;
    const q7 = q[from + d + 7]!;
    for (let j = 0, i = start + d; j < length; j++, i += headDim) {
      scores[j] =
        scores[j]! +
        (q0 * keys[i]! + q1 * keys[i + 1]! + q2 * keys[i + 2]! + q3 * keys[i + 3]!) +
        (q4 * keys[i + 4]! + q5 * keys[i + 5]! + q6 * keys[i + 6]! + q7 * keys[i + 7]!);
    }
  }
  for (; d < headDim; d++) {
    const qd = q[from + d]!;
    for (let j = 0, i = start + d; j < length; j++, i += headDim) scores[j] = scores[j]! + qd * keys[i]!;
  }
}

/** out[to + d] = scale · Σ_j weights[j] · values[j][d] for j < length; values are rows of headDim from `start`. */
export function weightedSum(
  weights: Float64Array,
  values: Float32Array,
  start: number,
  headDim: number,
  length: number,
  scale: number,
  out: Float32Array,
  to: number,
): void {
  let d = 0;
  for (; d + 8 <= headDim; d += 8) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let j = 0, i = start + d; j < length; j++, i += headDim) {
      const w = weights[j]!;
      a0 += w * values[i]!;
      a1 += w * values[i + 1]!;
      a2 += w * values[i + 2]!;
      a3 += w * values[i + 3]!;
      a4 += w * values[i + 4]!;
      a5 += w * values[i + 5]!;
      a6 += w * values[i + 6]!;
      a7 += w * values[i + 7]!;
    }
    out[to + d] = a0 * scale;
    out[to + d + 1] = a1 * scale;
    out[to + d + 2] = a2 * scale;
    out[to + d + 3] = a3 * scale;
    out[to + d + 4] = a4 * scale;
    out[to + d + 5] = a5 * scale;
    out[to + d + 6] = a6 * scale;
    out[to + d + 7] = a7 * scale;
  }
  for (; d < headDim; d++) {
    let sum = 0;
    for (let j = 0, i = start + d; j < length; j++, i += headDim) sum += weights[j]! * values[i]!;
    out[to + d] = sum * scale;
  }
}
