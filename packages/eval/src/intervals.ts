// Accuracies as estimates with 95% intervals: a bootstrap over the evaluation examples and over the runs
// (seeds) that produced them (Efron & Tibshirani 1993, ch. 13, percentile intervals; the two-level resampling
// of Davison & Hinkley 1997, §3.8). Differences between two models on the same examples are paired: both are
// scored on the same resampled examples (and, when they come from the same seeds, the same resampled seeds),
// so the variation they share cancels.

import { seededRandom } from '@mini-llama/data';

/** A rate (an accuracy) with its 95% interval, and how many runs it pools (1: one model, no seeds). */
export interface Estimate {
  mean: number;
  low: number;
  high: number;
  seeds: number;
}

/** Per-example outcomes of one run on one set: 1 where the prediction was right, else 0 (any score works). */
export type Outcomes = readonly number[];

/** The outcomes of several runs (seeds) on the same examples of one set: [run][example]. */
export type RunOutcomes = readonly Outcomes[];

export interface BootstrapOptions {
  /** Resamples (default 2,000). */
  resamples?: number;
  /** The interval's coverage (default 0.95). */
  level?: number;
  /** The resampling's seed (default 0): the same inputs give the same interval. */
  seed?: number;
}

/** 1 where each prediction equals its label, else 0. */
export function outcomes(labels: readonly number[], predictions: readonly number[]): number[] {
  if (labels.length !== predictions.length) {
    throw new RangeError(`outcomes: ${labels.length} labels but ${predictions.length} predictions`);
  }
  return labels.map((label, i) => (predictions[i] === label ? 1 : 0));
}

/** The share of the most frequent label: the accuracy of always predicting it (what "above chance" must beat). */
export function majorityRate(labels: readonly number[]): number {
  if (labels.length === 0) throw new RangeError('majorityRate: no labels');
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

/**
 * The label a classifier gives to every example, or null when it gives more than one: a classifier that predicts
 * one class scores the majority rate at best, and a report must say so.
 */
export function singlePrediction(predictions: readonly number[]): number | null {
  if (predictions.length === 0) return null;
  return predictions.every((label) => label === predictions[0]) ? predictions[0]! : null;
}

/**
 * The mean outcome over runs and sets (each set counts once, as an out-of-domain mean does), with a bootstrap
 * interval: each resample draws the runs with replacement (the same runs for every set) and, in every set, the
 * examples with replacement (the same examples for every run). One set of one run gives the plain accuracy with
 * its example-resampling interval.
 */
export function estimate(
  sets: RunOutcomes | readonly RunOutcomes[],
  options: BootstrapOptions = {},
): Estimate {
  return bootstrap(asSets(sets, 'estimate'), null, options);
}

/**
 * The mean difference a − b over runs and sets, with a paired bootstrap interval: each resample scores both on
 * the same examples, and on the same runs when both have as many (run i of a and of b share a seed); otherwise
 * their runs are drawn independently. An interval that excludes 0 says the difference is not sampling noise.
 */
export function pairedDifference(
  a: RunOutcomes | readonly RunOutcomes[],
  b: RunOutcomes | readonly RunOutcomes[],
  options: BootstrapOptions = {},
): Estimate {
  const setsA = asSets(a, 'pairedDifference');
  const setsB = asSets(b, 'pairedDifference');
  if (setsA.length !== setsB.length) {
    throw new RangeError(`pairedDifference: ${setsA.length} sets against ${setsB.length}`);
  }
  setsA.forEach((set, s) => {
    if (set[0]!.length !== setsB[s]![0]!.length) {
      throw new RangeError(
        `pairedDifference: set ${s} has ${set[0]!.length} examples in a, ${setsB[s]![0]!.length} in b: a paired difference needs the same examples`,
      );
    }
  });
  return bootstrap(setsA, setsB, options);
}

/** "0.712 [0.681, 0.744]" (with the number of seeds when it pools several). */
export function formatEstimate(value: Estimate, digits = 3): string {
  const interval = `${value.mean.toFixed(digits)} [${value.low.toFixed(digits)}, ${value.high.toFixed(digits)}]`;
  return value.seeds > 1 ? `${interval} (${value.seeds} seeds)` : interval;
}

function asSets(sets: RunOutcomes | readonly RunOutcomes[], caller: string): readonly RunOutcomes[] {
  if (sets.length === 0) throw new RangeError(`${caller}: no outcomes`);
  const groups = (Array.isArray(sets[0]![0]) ? sets : [sets]) as readonly RunOutcomes[];
  const runs = groups[0]!.length;
  for (const [s, set] of groups.entries()) {
    if (set.length === 0 || set.length !== runs) {
      throw new RangeError(`${caller}: set ${s} has ${set.length} runs, set 0 has ${runs}`);
    }
    const n = set[0]!.length;
    if (n === 0) throw new RangeError(`${caller}: set ${s} has no examples`);
    if (set.some((run) => run.length !== n)) {
      throw new RangeError(`${caller}: the runs of set ${s} scored different numbers of examples`);
    }
  }
  return groups;
}

/** Mean over sets of the mean over the picked runs of the mean over the picked examples. */
function resampledMean(
  sets: readonly RunOutcomes[],
  runs: readonly number[],
  examples: readonly (readonly number[])[],
): number {
  let total = 0;
  sets.forEach((set, s) => {
    const picked = examples[s]!;
    let setTotal = 0;
    for (const run of runs) {
      const values = set[run]!;
      let sum = 0;
      for (const i of picked) sum += values[i]!;
      setTotal += sum / picked.length;
    }
    total += setTotal / runs.length;
  });
  return total / sets.length;
}

/** The observed mean of a (minus b's) and its percentile interval over resamples. */
function bootstrap(
  a: readonly RunOutcomes[],
  b: readonly RunOutcomes[] | null,
  { resamples = 2000, level = 0.95, seed = 0 }: BootstrapOptions,
): Estimate {
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`);
  if (!(Number.isInteger(resamples) && resamples >= 100)) {
    throw new RangeError(`bootstrap: at least 100 resamples, got ${resamples}`);
  }
  const runsA = a[0]!.length;
  const runsB = b ? b[0]!.length : 0;
  const pairedRuns = runsA === runsB;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const value = (runPicksA: number[], runPicksB: number[], examples: number[][]) =>
    resampledMean(a, runPicksA, examples) - (b ? resampledMean(b, runPicksB, examples) : 0);
  const observed = a.map((set) => range(set[0]!.length));
  const mean = value(range(runsA), range(runsB), observed);

  const random = seededRandom(seed);
  const draw = (n: number) => Array.from({ length: n }, () => Math.floor(random() * n));
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const examples = a.map((set) => draw(set[0]!.length));
    const picksA = draw(runsA);
    values[r] = value(picksA, pairedRuns ? picksA : draw(runsB), examples);
  }
  values.sort();
  const quantile = (q: number) => values[Math.round(q * (resamples - 1))]!;
  return { mean, low: quantile((1 - level) / 2), high: quantile((1 + level) / 2), seeds: runsA };
}
