import type { Random } from './random.js';

export interface SamplingOptions {
  /** 0 picks the most likely token (greedy); 1 samples the model's distribution; higher flattens it. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Nucleus sampling (Holtzman et al. 2020): keep the smallest set of tokens whose probability reaches p. */
  topP?: number;
}

export function validateSamplingOptions({ temperature = 1, topK = 0, topP = 1 }: SamplingOptions): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`sampling: temperature must be a finite number ≥ 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 0)
    throw new Error(`sampling: topK must be an integer ≥ 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`sampling: topP must be in (0, 1], got ${topP}`);
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * The distribution a token is drawn from, after temperature, top-k and top-p, as probabilities over the
 * vocabulary (zeros outside the kept set). With temperature 0 it is one-hot on the argmax.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  validateSamplingOptions(options);
  const { temperature = 1, topK = 0, topP = 1 } = options;
  const vocab = logits.length;
  const probabilities = new Float64Array(vocab);
  if (temperature === 0) {
    probabilities[argmax(logits)] = 1;
    return probabilities;
  }
  if ((topK === 0 || topK >= vocab) && topP === 1) {
    // Plain softmax at this temperature: no sort needed.
    const top = logits[argmax(logits)]!;
    let total = 0;
    for (let i = 0; i < vocab; i++) total += probabilities[i] = Math.exp((logits[i]! - top) / temperature);
    for (let i = 0; i < vocab; i++) probabilities[i]! /= total;
    return probabilities;
  }
  // Candidates sorted by logit, most likely first; ties keep the lower id first so results are reproducible.
  let order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (topK > 0 && topK < vocab) order = order.slice(0, topK);
  const top = logits[order[0]!]!;
  const weights = order.map((i) => Math.exp((logits[i]! - top) / temperature));
  const total = weights.reduce((sum, w) => sum + w, 0);
  let kept = order.length;
  if (topP < 1) {
    let cumulative = 0;
    for (let rank = 0; rank < order.length; rank++) {
      cumulative += weights[rank]! / total;
      if (cumulative >= topP) {
        kept = rank + 1;
        break;
      }
    }
  }
  const keptTotal = weights.slice(0, kept).reduce((sum, w) => sum + w, 0);
  for (let rank = 0; rank < kept; rank++) probabilities[order[rank]!] = weights[rank]! / keptTotal;
  return probabilities;
}

/** Draws one token id from the logits of one position. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: Random): number {
  if ((options.temperature ?? 1) === 0) return argmax(logits);
  const probabilities = samplingDistribution(logits, options);
  const draw = random.next();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (p === 0) continue;
    cumulative += p;
    last = i;
    if (draw < cumulative) return i;
  }
  return last; // rounding left the cumulative sum a hair below 1
}
