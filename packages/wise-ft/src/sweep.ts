import { assertAlpha } from './interpolate.js';

/** WiSE-FT's grid: 0, 0.1, …, 1. */
export const DEFAULT_ALPHAS: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/** Parses "0,0.25,0.5" into α values: finite, distinct, kept in the given order. */
export function parseAlphas(text: string, flag = '--alphas'): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) {
    throw new Error(`${flag}: expected comma-separated numbers such as 0,0.5,1, got '${text}'`);
  }
  const alphas = parts.map((part) => {
    const value = Number(part);
    if (!Number.isFinite(value)) throw new Error(`${flag}: '${part}' is not a number`);
    return value;
  });
  const repeated = alphas.find((value, i) => alphas.indexOf(value) !== i);
  if (repeated !== undefined) throw new Error(`${flag}: ${repeated} is given twice`);
  return alphas;
}

/** What one α scored: accuracy on the in-domain selection split and on any other named sets. */
export interface AlphaResult {
  alpha: number;
  /** In-domain validation accuracy: what chooses α. */
  selection: number;
  /** Accuracy (or any score) per evaluation set, e.g. { 'sst2 dev': 0.81, 'imdb': 0.7 }. */
  scores: Record<string, number>;
}

export interface SweepEvents {
  onAlpha?: (result: AlphaResult, index: number, total: number) => void;
}

/**
 * Evaluates each α in turn (in order; `evaluate` builds θ(α) and scores it) and returns the results with the
 * α chosen on in-domain validation: the best `selection` score, ties going to the smaller α (closer to the
 * pretrained model, which WiSE-FT finds the more robust side).
 */
export async function sweepAlphas(
  alphas: readonly number[],
  evaluate: (alpha: number) => Promise<Omit<AlphaResult, 'alpha'>>,
  { onAlpha }: SweepEvents = {},
): Promise<{ results: AlphaResult[]; chosen: AlphaResult }> {
  if (alphas.length === 0) throw new Error('sweepAlphas: no α to evaluate');
  const results: AlphaResult[] = [];
  for (const [index, alpha] of alphas.entries()) {
    assertAlpha(alpha);
    const result = { alpha, ...(await evaluate(alpha)) };
    results.push(result);
    onAlpha?.(result, index, alphas.length);
  }
  return { results, chosen: chooseAlpha(results) };
}

export function chooseAlpha(results: readonly AlphaResult[]): AlphaResult {
  const [first, ...rest] = results;
  if (!first) throw new Error('chooseAlpha: no results');
  return rest.reduce(
    (best, result) =>
      result.selection > best.selection || (result.selection === best.selection && result.alpha < best.alpha)
        ? result
        : best,
    first,
  );
}
