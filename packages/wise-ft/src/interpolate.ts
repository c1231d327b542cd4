import type { NamedTensor, StateDict } from '@mini-llama/formats';

export interface InterpolateOptions {
  /**
   * Which tensors are interpolated; the others are taken from the fine-tuned model as they are. Default:
   * every tensor. `backboneOnly` (below) is the common case.
   */
  include?: (name: string) => boolean;
  /** Names for the two models in error messages (default 'pretrained', 'fine-tuned'). */
  names?: [string, string];
}

/** Tensors outside the transformer backbone: the classification head and the LM head. */
export function isHead(name: string): boolean {
  return name === 'score.weight' || name === 'lm_head.weight';
}

/** `include` for backbone-only interpolation: the fine-tuned head is kept as it is. */
export const backboneOnly = (name: string): boolean => !isHead(name);

/**
 * Checks that two state dicts hold the same tensor names with the same shapes, and says which differ.
 * Throws one error listing every problem (up to 8), naming both models.
 */
export function assertSameArchitecture(a: StateDict, b: StateDict, names: [string, string]): void {
  const problems: string[] = [];
  for (const [name, tensor] of a) {
    const other = b.get(name);
    if (!other) problems.push(`${name} is in ${names[0]} but not in ${names[1]}`);
    else if (!sameShape(tensor.shape, other.shape)) {
      problems.push(`${name} has shape [${tensor.shape}] in ${names[0]} but [${other.shape}] in ${names[1]}`);
    }
  }
  for (const name of b.keys()) {
    if (!a.has(name)) problems.push(`${name} is in ${names[1]} but not in ${names[0]}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 8);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    throw new Error(`the two models differ in architecture: ${shown.join('; ')}${more}`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/**
 * WiSE-FT (Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"): θ(α) = (1 − α)·θ_pre + α·θ_ft
 * for every tensor, in float32. Written in this form (not θ_pre + α·(θ_ft − θ_pre)) so that α = 0 gives the
 * pretrained tensors and α = 1 the fine-tuned ones bit for bit.
 */
export function interpolateStateDicts(
  pretrained: StateDict,
  finetuned: StateDict,
  alpha: number,
  { include = () => true, names = ['pretrained', 'fine-tuned'] }: InterpolateOptions = {},
): StateDict {
  assertAlpha(alpha);
  assertSameArchitecture(pretrained, finetuned, names);
  const out: StateDict = new Map();
  for (const [name, ft] of finetuned) {
    const pre = pretrained.get(name) as NamedTensor;
    out.set(name, include(name) ? { shape: [...ft.shape], data: mix(pre.data, ft.data, alpha) } : ft);
  }
  return out;
}

/** (1 − α)·a + α·b elementwise, rounded to float32. */
export function mix(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  const out = new Float32Array(a.length);
  const keep = 1 - alpha;
  for (let i = 0; i < a.length; i++) out[i] = keep * a[i]! + alpha * b[i]!;
  return out;
}

export function assertAlpha(alpha: number, what = 'alpha'): void {
  if (!Number.isFinite(alpha)) throw new Error(`${what} must be a finite number, got ${alpha}`);
}
