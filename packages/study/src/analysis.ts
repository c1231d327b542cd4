// The study's numbers as estimates with intervals, and its two answers in words: does WiSE-FT buy robustness
// out of domain, and does LoRA make fine-tuning more stable? Pure: from the stages' predictions and labels.
import {
  type Estimate,
  estimate,
  formatEstimate,
  majorityRate,
  outcomes,
  pairedDifference,
  type RunOutcomes,
  singlePrediction,
} from '@mini-llama/eval';
import type { StudyEndpoint } from './plan.js';
import type {
  SeedEvaluations,
  SetsLabels,
  SetsPredictions,
  StudyData,
  WiseFtSeeds,
  ZeroShotResult,
} from './results.js';
import { type StabilityResult, sampleSd } from './stability.js';

/** One evaluation set: its name, domain, size and the accuracy of always predicting its most frequent label. */
export interface SetSummary {
  name: string;
  domain: 'ID' | 'OOD';
  n: number;
  majorityRate: number;
}

/** A classifier's accuracies (pooled over its seeds) in domain, on each OOD set and their mean. */
export interface ModelEstimates {
  model: string;
  id: Estimate;
  ood: Estimate[];
  oodMean: Estimate | null;
  /** Runs (seeds) in which it gave every in-domain example the same label, with that label. */
  singleClass: { seed: number; label: string }[];
}

/** The α curve: accuracies pooled over the seeds' θ(α). */
export interface SweepEstimates {
  alpha: number;
  id: Estimate;
  ood: Estimate[];
  oodMean: Estimate | null;
}

/** What the study found, as the report shows it and report.json keeps it. */
export interface StudyAnalysis {
  sets: SetSummary[];
  zeroShot: ModelEstimates;
  /**
   * θ(0) as the WiSE-FT sweep scored it: the zero-shot classifier (the same predictions as `zeroShot`), or each
   * seed's linear probe (LP-FT).
   */
  start: ModelEstimates;
  full: ModelEstimates;
  lora: ModelEstimates;
  wiseFt: ModelEstimates;
  sweep: SweepEstimates[];
  /** Each seed's α, chosen on the in-domain validation split, and whether it was a tie. */
  chosen: { alpha: number; tie: boolean }[];
  /** WiSE-FT at the chosen α minus the fine-tuned model (α = 1), paired over examples and seeds. */
  wiseFtGain: { id: Estimate; oodMean: Estimate | null };
  /** LoRA minus full fine-tuning, paired over examples and seeds (seed i of both share data order). */
  loraMinusFull: { id: Estimate; oodMean: Estimate | null };
  /** The standard deviation over seeds of each method's in-domain accuracy and final training loss. */
  seedSpread: {
    full: { accuracy: number; loss: number | null };
    lora: { accuracy: number; loss: number | null };
  };
  /** Whether the zero-shot model is above chance: its interval's lower end above the majority rate, per set. */
  zeroShotAboveChance: { name: string; above: boolean }[];
  answers: { wiseFt: string; lora: string };
}

export interface AnalysisInput {
  data: StudyData;
  zeroShot: ZeroShotResult;
  evaluations: SeedEvaluations;
  wiseFt: WiseFtSeeds;
  /** The LoRA rank, for the rows' names. */
  loraRank: number;
  /** The α = 0 end (default: the zero-shot head). */
  endpoint?: StudyEndpoint;
  /** The stability grid's result, when the study ran it: the LoRA answer rests on it. */
  stability?: StabilityResult | null;
  /** Each seed's final training loss (the mean of its last logged steps), full and LoRA; empty when unknown. */
  finalLosses?: { full: number[]; lora: number[] };
}

/** The study's estimates and answers (intervals: 95%, bootstrap over examples and seeds). */
export function analyzeStudy(input: AnalysisInput): StudyAnalysis {
  const { data, zeroShot, evaluations, wiseFt, loraRank } = input;
  const labels = evaluations.labels;
  const names = { id: 'in-domain test', ood: data.ood.map((set) => set.name) };
  const sets: SetSummary[] = [
    { name: names.id, domain: 'ID', n: labels.id.length, majorityRate: majorityRate(labels.id) },
    ...labels.ood.map((set, i) => ({
      name: names.ood[i]!,
      domain: 'OOD' as const,
      n: set.length,
      majorityRate: majorityRate(set),
    })),
  ];
  const model = (name: string, runs: readonly SetsPredictions[]) =>
    modelEstimates(name, runs, labels, data.labelNames);
  const chosen = wiseFt.seeds.map((seed) => ({ alpha: seed.chosenAlpha, tie: seed.tie }));
  const atChosen = wiseFt.seeds.map((seed) => seed.predictions[wiseFt.alphas.indexOf(seed.chosenAlpha)]!);
  const one = wiseFt.alphas.indexOf(1);
  const zero = wiseFt.alphas.indexOf(0);
  if (one < 0 || zero < 0)
    throw new Error(`the study's α grid must hold 0 and 1, got ${wiseFt.alphas.join(', ')}`);
  // θ(1) is each seed's full fine-tune bit for bit, θ(0) the zero-shot classifier (the same in
  // every seed: counted once) or each seed's linear probe
  const atOne = wiseFt.seeds.map((seed) => seed.predictions[one]!);
  const alphaText = describeChosen(chosen);
  const result = {
    sets,
    zeroShot: model('zero-shot (label words, centred)', [zeroShot.predictions]),
    start:
      input.endpoint === 'linear-probe'
        ? model(
            'linear probe (α = 0)',
            wiseFt.seeds.map((seed) => seed.predictions[zero]!),
          )
        : model('zero-shot head (α = 0)', [wiseFt.seeds[0]!.predictions[zero]!]),
    full: model('fine-tuned in full', atOne),
    lora: model(`LoRA r ${loraRank} (+ head)`, evaluations.lora),
    wiseFt: model(`WiSE-FT at the chosen α (${alphaText})`, atChosen),
    sweep: wiseFt.alphas.map((alpha, a) => {
      // the zero-shot head is the same in every seed: its α = 0 counts once, as the row above does
      const runs = wiseFt.seeds.map((seed) => seed.predictions[a]!);
      const once = a === zero && input.endpoint !== 'linear-probe';
      const estimates = model(`α = ${alpha}`, once ? runs.slice(0, 1) : runs);
      return { alpha, id: estimates.id, ood: estimates.ood, oodMean: estimates.oodMean };
    }),
    chosen,
    wiseFtGain: differences(atChosen, atOne, labels),
    loraMinusFull: differences(evaluations.lora, atOne, labels),
    seedSpread: {
      full: spread(atOne, labels, input.finalLosses?.full),
      lora: spread(evaluations.lora, labels, input.finalLosses?.lora),
    },
    zeroShotAboveChance: [] as { name: string; above: boolean }[],
  };
  const zeroShotSets = [result.zeroShot.id, ...result.zeroShot.ood];
  result.zeroShotAboveChance = sets.map((set, i) => ({
    name: set.name,
    above: zeroShotSets[i]!.low > set.majorityRate,
  }));
  const answered = answers(result, alphaText, input.wiseFt.alphas, Boolean(input.stability));
  if (input.stability)
    answered.lora = `${input.stability.verdict} At the study's own rates: ${answered.lora}`;
  return { ...result, answers: answered };
}

function modelEstimates(
  model: string,
  runs: readonly SetsPredictions[],
  labels: SetsLabels,
  labelNames: readonly string[],
): ModelEstimates {
  const correct = runOutcomes(runs, labels);
  const singleClass = runs.flatMap((run, seed) => {
    const label = singlePrediction(run.id);
    return label === null ? [] : [{ seed, label: labelNames[label] ?? String(label) }];
  });
  return {
    model,
    id: estimate(correct.id),
    ood: correct.ood.map((set) => estimate(set)),
    oodMean: correct.ood.length > 0 ? estimate(correct.ood) : null,
    singleClass,
  };
}

/** Outcomes [run][example] of each set. */
function runOutcomes(runs: readonly SetsPredictions[], labels: SetsLabels) {
  return {
    id: runs.map((run) => outcomes(labels.id, run.id)) as RunOutcomes,
    ood: labels.ood.map((set, s) => runs.map((run) => outcomes(set, run.ood[s]!)) as RunOutcomes),
  };
}

function differences(
  a: readonly SetsPredictions[],
  b: readonly SetsPredictions[],
  labels: SetsLabels,
): { id: Estimate; oodMean: Estimate | null } {
  const ca = runOutcomes(a, labels);
  const cb = runOutcomes(b, labels);
  return {
    id: pairedDifference(ca.id, cb.id),
    oodMean: ca.ood.length > 0 ? pairedDifference(ca.ood, cb.ood) : null,
  };
}

function spread(runs: readonly SetsPredictions[], labels: SetsLabels, losses: readonly number[] | undefined) {
  const accuracies = runs.map(
    (run) => outcomes(labels.id, run.id).reduce((sum, v) => sum + v, 0) / labels.id.length,
  );
  return {
    accuracy: sampleSd(accuracies),
    loss: losses && losses.length === runs.length ? sampleSd(losses) : null,
  };
}

function describeChosen(chosen: readonly { alpha: number; tie: boolean }[]): string {
  const alphas = chosen.map((entry) => entry.alpha);
  const text = alphas.every((alpha) => alpha === alphas[0])
    ? `α = ${alphas[0]}${alphas.length > 1 ? ` in all ${alphas.length} seeds` : ''}`
    : `α = ${alphas.join(', ')} in seeds ${alphas.map((_, i) => i).join(', ')}`;
  return text; // ties are said beside the answers (the report's ⚠ lines)
}

/** A difference with its interval, signed: "+0.021 [−0.004, +0.046]" (with the seeds when it pools several). */
export function formatDifference(value: Estimate): string {
  const sign = (x: number) => (x >= 0 ? `+${x.toFixed(3)}` : `−${Math.abs(x).toFixed(3)}`);
  const text = `${sign(value.mean)} [${sign(value.low)}, ${sign(value.high)}]`;
  return value.seeds > 1 ? `${text} (${value.seeds} seeds)` : text;
}

/** A difference in a sentence: signed, without the seeds (the sentence says them). */
function signed(value: Estimate): string {
  return formatDifference({ ...value, seeds: 1 });
}

/** A difference's verdict: its interval above 0, below 0, or across it. */
function verdict(value: Estimate, more: string, less: string, same: string): string {
  if (value.low > 0) return more;
  if (value.high < 0) return less;
  return same;
}

function answers(
  analysis: Omit<StudyAnalysis, 'answers'>,
  alphaText: string,
  alphas: readonly number[],
  gridRun: boolean,
): { wiseFt: string; lora: string } {
  const { wiseFtGain, loraMinusFull, seedSpread, sweep, full, lora } = analysis;
  const seeds = full.id.seeds;
  const gain = wiseFtGain.oodMean ?? wiseFtGain.id;
  const hasOod = wiseFtGain.oodMean !== null;
  const best = sweep.reduce((best, point) =>
    (point.oodMean?.mean ?? point.id.mean) > (best.oodMean?.mean ?? best.id.mean) ? point : best,
  );
  const inClaim = alphas.some((alpha) => alpha >= 0.2 && alpha <= 0.4);
  const claim = hasOod
    ? ` The best OOD accuracy on the α grid is at α = ${best.alpha} (${formatEstimate(best.oodMean!)}); the claim placed the best balance at α 0.2–0.4${inClaim ? '' : ', which this grid does not sample'}.`
    : ` No out-of-domain set was given, so robustness is not measured here; the best in-domain accuracy on the α grid is at α = ${best.alpha} (${formatEstimate(best.id)}).`;
  const difference = hasOod
    ? `${signed(gain)} accuracy out of domain, ${signed(wiseFtGain.id)} in domain`
    : `${signed(wiseFtGain.id)} accuracy in domain`;
  const allOne = analysis.chosen.every((entry) => entry.alpha === 1);
  const wiseFt = allOne
    ? `Validation chose α = 1, the fine-tuned model itself, in every seed: WiSE-FT changed nothing here (no mixture beat the fine-tuned model in domain).${claim}`
    : `WiSE-FT (${alphaText}, chosen on in-domain validation) against the fine-tuned model: ${difference} (paired, ${seeds} seed${seeds === 1 ? '' : 's'}) — ${hasOod ? verdict(gain, 'it buys robustness here', 'it costs robustness here', 'no difference this study can tell from noise') : verdict(gain, 'better in domain', 'worse in domain', 'no difference this study can tell from noise')}.${claim}`;
  const loraDifference = loraMinusFull.oodMean ?? loraMinusFull.id;
  const stabler =
    seedSpread.lora.accuracy < seedSpread.full.accuracy
      ? 'LoRA varies less between seeds'
      : seedSpread.lora.accuracy > seedSpread.full.accuracy
        ? 'LoRA varies more between seeds'
        : 'both vary as much between seeds';
  const losses =
    seedSpread.full.loss !== null && seedSpread.lora.loss !== null
      ? `; final training loss s.d. ${seedSpread.lora.loss.toFixed(3)} vs ${seedSpread.full.loss.toFixed(3)}`
      : '';
  const loraDifferences = loraMinusFull.oodMean
    ? `${signed(loraMinusFull.id)} in domain, ${signed(loraDifference)} out of domain`
    : `${signed(loraMinusFull.id)} in domain`;
  const loraAnswer = `LoRA against full fine-tuning (one learning rate each, ${seeds} seed${seeds === 1 ? '' : 's'}): ${loraDifferences} (paired); ${stabler} (in-domain accuracy s.d. ${seedSpread.lora.accuracy.toFixed(3)} vs ${seedSpread.full.accuracy.toFixed(3)}${losses}) — ${seeds < 3 ? 'too few seeds to call either more stable' : gridRun ? 'with this few seeds a spread is itself uncertain' : 'with this few seeds a spread is itself uncertain; `demo --lr-grid` measures stability across learning rates'}. LoRA ${formatEstimate(lora.id)}, full ${formatEstimate(full.id)} in domain.`;
  return { wiseFt, lora: loraAnswer };
}
