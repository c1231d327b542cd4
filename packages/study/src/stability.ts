// Is LoRA more stable than full fine-tuning? Each method over a grid of learning rates × seeds at the same
// budget (steps, batch): how much the final accuracy moves with the learning rate and between seeds, how much
// the validation-loss curves differ between seeds, and how many steps each takes to reach a target accuracy.
// Pure: from the runs' logged evaluations.

/** One fine-tune of the grid: its method, rate, seed and what metrics.jsonl logged at each evaluation. */
export interface GridRun {
  method: 'full' | 'lora';
  lr: number;
  seed: number;
  /** Validation accuracy and loss at each evaluation step, in step order (the last is the final one). */
  evaluations: { step: number; valLoss: number; valAccuracy: number }[];
}

/** One method at one learning rate, over its seeds. */
export interface GridCell {
  method: 'full' | 'lora';
  lr: number;
  seeds: number;
  /** Final validation accuracy: mean and standard deviation over seeds. */
  accuracy: { mean: number; sd: number };
  /** The standard deviation over seeds of the validation loss, averaged over the evaluation steps. */
  lossCurveSd: number;
  /** The first evaluation step at which each seed reached the target accuracy (null: never). */
  stepsToTarget: (number | null)[];
}

/** Each method's stability over the whole grid. */
export interface MethodStability {
  method: 'full' | 'lora';
  rates: number[];
  /** Max − min over the rates of the mean final accuracy: sensitivity to the learning rate. */
  rateRange: number;
  /** The seed standard deviation of the final accuracy, averaged over the rates. */
  seedSd: number;
  lossCurveSd: number;
  /** Mean steps to the target over the runs that reached it, and how many of all runs did. */
  stepsToTarget: { mean: number | null; reached: number; runs: number };
}

export interface StabilityResult {
  /** The accuracy "steps to target" counts to: halfway from the majority-class rate to the best cell's mean. */
  target: number;
  cells: GridCell[];
  methods: { full: MethodStability; lora: MethodStability };
  /** The answer in a sentence, with the numbers. */
  verdict: string;
}

/** The grid's cells, each method's stability and the verdict; `majorityRate` is the validation set's. */
export function summarizeGrid(runs: readonly GridRun[], majorityRate: number): StabilityResult {
  const keys = [...new Set(runs.map((run) => `${run.method} ${run.lr}`))];
  const groups = keys.map((key) => runs.filter((run) => `${run.method} ${run.lr}` === key));
  for (const group of groups) {
    if (group.some((run) => run.evaluations.length === 0)) {
      throw new Error(
        `summarizeGrid: a run of ${group[0]!.method} at lr ${group[0]!.lr} logged no evaluation`,
      );
    }
  }
  const finals = (group: readonly GridRun[]) => group.map((run) => run.evaluations.at(-1)!.valAccuracy);
  const best = Math.max(...groups.map((group) => mean(finals(group))));
  const target = majorityRate + (best - majorityRate) / 2;
  const cells: GridCell[] = groups.map((group) => ({
    method: group[0]!.method,
    lr: group[0]!.lr,
    seeds: group.length,
    accuracy: { mean: mean(finals(group)), sd: sampleSd(finals(group)) },
    lossCurveSd: lossCurveSd(group),
    stepsToTarget: group.map((run) => run.evaluations.find((e) => e.valAccuracy >= target)?.step ?? null),
  }));
  const method = (name: 'full' | 'lora'): MethodStability => {
    const own = cells.filter((cell) => cell.method === name).sort((a, b) => a.lr - b.lr);
    if (own.length === 0) throw new Error(`summarizeGrid: no ${name} runs`);
    const means = own.map((cell) => cell.accuracy.mean);
    const reached = own.flatMap((cell) => cell.stepsToTarget.filter((step): step is number => step !== null));
    return {
      method: name,
      rates: own.map((cell) => cell.lr),
      rateRange: Math.max(...means) - Math.min(...means),
      seedSd: mean(own.map((cell) => cell.accuracy.sd)),
      lossCurveSd: mean(own.map((cell) => cell.lossCurveSd)),
      stepsToTarget: {
        mean: reached.length > 0 ? mean(reached) : null,
        reached: reached.length,
        runs: own.reduce((sum, cell) => sum + cell.seeds, 0),
      },
    };
  };
  const methods = { full: method('full'), lora: method('lora') };
  return { target, cells, methods, verdict: verdict(methods, target) };
}

function verdict({ full, lora }: { full: MethodStability; lora: MethodStability }, target: number): string {
  const f3 = (x: number) => x.toFixed(3);
  const rates = (m: MethodStability) => m.rates.map((rate) => rate.toExponential(0)).join(', ');
  const steps = (m: MethodStability) =>
    m.stepsToTarget.mean === null
      ? `never (0 of ${m.stepsToTarget.runs} runs)`
      : `${Math.round(m.stepsToTarget.mean)} steps (${m.stepsToTarget.reached} of ${m.stepsToTarget.runs} runs reached it)`;
  // more stable: clearly smaller on both measures of the final accuracy (by a fifth or more)
  const smaller = (a: number, b: number) => a < 0.8 * b;
  const calmer = smaller(lora.rateRange, full.rateRange) && smaller(lora.seedSd, full.seedSd);
  const wilder = smaller(full.rateRange, lora.rateRange) && smaller(full.seedSd, lora.seedSd);
  const answer = calmer
    ? 'LoRA is the more stable here'
    : wilder
      ? 'LoRA is the less stable here'
      : 'neither is clearly the more stable here (the two measures disagree, or differ by less than a fifth)';
  return `Over learning rates ${rates(lora)} (LoRA) and ${rates(full)} (full), ${lora.stepsToTarget.runs / lora.rates.length} seeds each at the same budget: the final validation accuracy moves by ${f3(lora.rateRange)} across rates with LoRA and ${f3(full.rateRange)} in full, with a seed s.d. of ${f3(lora.seedSd)} and ${f3(full.seedSd)}; validation-loss curves differ between seeds by ${f3(lora.lossCurveSd)} and ${f3(full.lossCurveSd)} nats (s.d.); to reach ${f3(target)} (halfway from chance to the best) LoRA takes ${steps(lora)}, full fine-tuning ${steps(full)} — ${answer}.`;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The sample standard deviation (0 for fewer than two values). */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1));
}

/** The seed s.d. of the validation loss at each evaluation step the runs share, averaged over the steps. */
function lossCurveSd(group: readonly GridRun[]): number {
  const steps = group[0]!.evaluations.map((e) => e.step);
  const shared = steps.filter((step) => group.every((run) => run.evaluations.some((e) => e.step === step)));
  if (shared.length === 0) return 0;
  return mean(
    shared.map((step) => sampleSd(group.map((run) => run.evaluations.find((e) => e.step === step)!.valLoss))),
  );
}
