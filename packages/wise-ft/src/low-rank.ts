import type { NamedTensor, StateDict } from '@mini-llama/formats';
import { assertAlpha } from './interpolate.js';

/**
 * One LoRA update of a weight W [out, in] (HF layout): ΔW = scale · B · A, with A [r, in], B [out, r] and
 * scale = lora_alpha / r (or / √r for rsLoRA). `target` is the HF name of W, e.g.
 * `model.layers.0.self_attn.q_proj.weight`.
 */
export interface LowRankUpdate {
  target: string;
  a: NamedTensor; // [r, in]
  b: NamedTensor; // [out, r]
  scale: number;
}

/**
 * WiSE-FT for an adapter: θ(α) = W₀ + α · scale · B · A on each adapted weight, every other tensor W₀.
 * Equals interpolating W₀ with the merged weights W₀ + scale·B·A (the fine-tuned model) without ever
 * building that model: only the adapted matrices are copied. α = 0 returns W₀'s tensors themselves.
 */
export function interpolateLowRank(
  base: StateDict,
  updates: readonly LowRankUpdate[],
  alpha: number,
): StateDict {
  assertAlpha(alpha);
  const out: StateDict = new Map(base);
  if (alpha === 0) return out;
  for (const update of updates) {
    const weight = out.get(update.target);
    if (!weight) throw new Error(`LoRA update for ${update.target}: the base model has no such tensor`);
    out.set(update.target, addLowRank(weight, update, alpha * update.scale, update.target));
  }
  return out;
}

/** W + factor · B·A, computed in float64 per element and rounded once to float32. */
export function addLowRank(
  weight: NamedTensor,
  update: LowRankUpdate,
  factor: number,
  name: string,
): NamedTensor {
  const [out, inFeatures] = weight.shape as [number, number];
  const [r, aIn] = update.a.shape as [number, number];
  const [bOut, bR] = update.b.shape as [number, number];
  if (weight.shape.length !== 2 || aIn !== inFeatures || bOut !== out || bR !== r) {
    throw new Error(
      `LoRA update for ${name}: A [${update.a.shape}] and B [${update.b.shape}] do not fit the weight [${weight.shape}] (need A [r, ${inFeatures}], B [${out}, r])`,
    );
  }
  const data = new Float32Array(weight.data);
  const a = update.a.data;
  const b = update.b.data;
  const row = new Float64Array(inFeatures);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k]!;
      if (bk === 0) continue;
      const aRow = k * inFeatures;
      for (let i = 0; i < inFeatures; i++) row[i]! += bk * a[aRow + i]!;
    }
    const base = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) data[base + i] = weight.data[base + i]! + factor * row[i]!;
  }
  return { shape: [out, inFeatures], data };
}
