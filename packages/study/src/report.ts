import { confusionMatrix, type Estimate, formatEstimate, type LossPoint } from '@mini-llama/eval';
import type { AlphaSweepPoint, Report, ReportSection, TableCell } from '@mini-llama/eval/report';
import {
  type AnalysisInput,
  analyzeStudy,
  formatDifference,
  type ModelEstimates,
  type StudyAnalysis,
} from './analysis.js';
import type { StudyBase, StudyPlan, StudyState } from './plan.js';
import type {
  Continuation,
  PerplexityResult,
  SeedEvaluations,
  SetsPredictions,
  StudyData,
  WiseFtSeeds,
  ZeroShotResult,
} from './results.js';
import type { StabilityResult } from './stability.js';

/** Everything the report is made of: the state of a finished study and its loss curves. */
export interface StudyReportInput {
  directory: string;
  state: StudyState;
  plan: StudyPlan;
  elapsedMs: number;
  /**
   * The training loss curves, each point tagged with its run: 'pretrain' (nats per token), or a fine-tune's
   * ('full, seed 0', 'LoRA, seed 1', …: the classifier's cross-entropy, nats per example), drawn per method.
   */
  curves: (LossPoint & { run: string })[];
  /** Each seed's final training loss, full and LoRA (for the spread between seeds). */
  finalLosses?: AnalysisInput['finalLosses'];
}

/** The study's report: report.json's contents, the HTML report (as data, for renderReport), a summary. */
export function studyReport({ directory, state, plan, elapsedMs, curves, finalLosses }: StudyReportInput): {
  json: Record<string, unknown>;
  html: Report;
  summary: string;
  analysis: StudyAnalysis;
} {
  const done = state.done;
  const data = done.data as StudyData;
  const perplexity = done.perplexity as PerplexityResult;
  const zeroShot = done['zero-shot'] as ZeroShotResult;
  const evaluations = done.evaluate as SeedEvaluations;
  const wiseFt = done['wise-ft'] as WiseFtSeeds;
  const base = state.base ? (done.pretrain as StudyBase) : null;
  const probing = state.endpoint === 'linear-probe';
  const analysis = analyzeStudy({
    data,
    zeroShot,
    evaluations,
    wiseFt,
    loraRank: plan.loraRank,
    endpoint: state.endpoint,
    finalLosses,
    stability: (done.stability as StabilityResult | undefined) ?? null,
  });
  const shares = evaluations.shares;
  // with the zero-shot endpoint, α = 0 is the zero-shot classifier itself: one row
  const rows: [ModelEstimates, number, number][] = [
    [analysis.zeroShot, 0, 0],
    ...(probing
      ? [[analysis.start, shares.head, shares.head / shares.full] as [ModelEstimates, number, number]]
      : []),
    [analysis.full, shares.full, 1],
    [analysis.lora, shares.lora, shares.loraShare],
    [analysis.wiseFt, shares.full, 1],
  ];
  const oodNames = analysis.sets.filter((set) => set.domain === 'OOD').map((set) => set.name);
  const json = {
    base: state.base ?? null,
    task: data.task,
    labelNames: data.labelNames,
    sizes: data.sizes,
    ood: data.ood,
    plan,
    elapsedSeconds: Math.round(elapsedMs / 1000),
    answers: analysis.answers,
    sets: analysis.sets,
    perplexity,
    continuations: done.continuations,
    classification: rows.map(([estimates, trainable, share]) => ({
      model: estimates.model,
      id: estimates.id,
      oodMean: estimates.oodMean,
      ood: Object.fromEntries(estimates.ood.map((value, i) => [oodNames[i], value])),
      trainable,
      share,
      singleClass: estimates.singleClass,
    })),
    zeroShotAboveChance: analysis.zeroShotAboveChance,
    zeroShot: {
      prompt: zeroShot.evaluation.prompt ?? null,
      head: zeroShot.head,
    },
    trainable: shares,
    wiseFt: {
      alphas: wiseFt.alphas,
      chosen: analysis.chosen,
      sweep: analysis.sweep.map((point) => ({
        alpha: point.alpha,
        id: point.id,
        oodMean: point.oodMean,
        ood: Object.fromEntries(point.ood.map((value, i) => [oodNames[i], value])),
      })),
      gainOverFinetuned: analysis.wiseFtGain,
    },
    loraMinusFull: analysis.loraMinusFull,
    seedSpread: analysis.seedSpread,
    stability: done.stability ?? null,
  };

  const percent = (share: number) => `${(100 * share).toFixed(2)}%`;
  const count = (n: number) => n.toLocaleString('en-US');
  const cell = (value: Estimate | null): TableCell => (value ? formatEstimate(value) : null);
  const difference = (value: Estimate | null): TableCell => (value ? formatDifference(value) : null);
  const parameters = count(shares.full - shares.head);
  const seeds = analysis.full.id.seeds;
  const model = base
    ? `The ${parameters}-parameter Llama \`${base.base}\` (dim ${base.shape.dim}, ${base.shape.layers} layers, ${base.shape.heads} heads / ${base.shape.kvHeads} KV heads, its own ${count(base.vocabSize)}-token vocabulary), not trained here`
    : `A ${parameters}-parameter Llama (dim ${plan.shape.dim}, ${plan.shape.layers} layers, ${plan.shape.heads} heads / ${plan.shape.kvHeads} KV heads, a ${plan.vocabSize}-piece BPE vocabulary trained here) pretrained on ${count(data.corpusDocuments)} documents of unlabelled text`;
  const findings = [
    `**Does WiSE-FT buy robustness out of domain?** ${analysis.answers.wiseFt}`,
    `**Does LoRA make fine-tuning more stable?** ${analysis.answers.lora}`,
    zeroShotSentence(analysis),
    ...warnings(analysis, rows),
  ];
  const pretrainCurve = curves.filter((point) => point.run === 'pretrain');
  const finetuneCurves = curves.filter((point) => point.run !== 'pretrain');
  const sections: ReportSection[] = [
    { type: 'markdown', title: 'Answers', markdown: findings.join('\n\n') },
    {
      type: 'markdown',
      title: 'What was run',
      markdown: `${model}, then taught **${data.task}**: ${zeroShotDescription(zeroShot)}, fine-tuned in full and with LoRA from ${probing ? 'a linear probe (the zero-shot head trained on frozen features; LP-FT)' : 'the zero-shot classifier'} (${seeds} seed${seeds === 1 ? '' : 's'} each: initialisation of the adapter and order of the data), and interpolated in weight space (WiSE-FT, α chosen on ${data.sizes.val} in-domain validation examples held out of training). In domain: ${data.sizes.test} test examples; out of domain: ${data.ood.map((set) => `${set.name} (${set.n})`).join(', ')}. Every accuracy is the mean over seeds with a 95% bootstrap interval over examples and seeds; differences are paired on the same examples and seeds. Run directory: \`${directory}\`.`,
    },
    ...(pretrainCurve.length > 0
      ? [{ type: 'lossCurve' as const, title: 'Pretraining loss', points: pretrainCurve }]
      : []),
    ...(['full', 'LoRA'] as const).map(
      (method): ReportSection => ({
        type: 'lossCurve',
        title: `Fine-tuning loss, ${method === 'full' ? 'in full' : 'LoRA'} (classification cross-entropy)`,
        points: finetuneCurves
          .filter((point) => point.run.startsWith(`${method}, `))
          .map((point) => ({ ...point, run: point.run.slice(method.length + 2) })),
        yTitle: 'loss (nats per example; training: moving mean of 9 steps)',
        smooth: 9,
      }),
    ),
    {
      type: 'table',
      title: 'Pretrained model on held-out text',
      columns: ['tokens', 'nats / token', 'perplexity', 'bits / byte'],
      rows: [[perplexity.tokens, perplexity.nll, perplexity.perplexity, perplexity.bitsPerByte]],
    },
    {
      type: 'continuations',
      title: 'Continuations (temperature 0.8, top-k 40)',
      items: done.continuations as Continuation[],
    },
    {
      type: 'table',
      title: 'Evaluation sets',
      columns: ['set', 'domain', 'examples', 'majority-class rate'],
      rows: analysis.sets.map((set) => [set.name, set.domain, set.n, set.majorityRate]),
      caption:
        'The majority-class rate is the accuracy of always predicting the most frequent label: chance.',
    },
    {
      type: 'table',
      title: 'Classification accuracy, mean [95% interval]',
      columns: [
        'model',
        'in-domain',
        ...(oodNames.length > 1 ? ['OOD mean'] : []),
        ...oodNames,
        'trainable parameters',
        'share',
      ],
      rows: rows.map(([estimates, trainable, share]) => [
        estimates.model,
        cell(estimates.id),
        ...(oodNames.length > 1 ? [cell(estimates.oodMean)] : []),
        ...estimates.ood.map(cell),
        trainable,
        percent(share),
      ]),
      caption: `LoRA's share counts as peft does: of the adapted model's parameters (${count(shares.full)} + ${count(shares.lora)}).`,
    },
    {
      type: 'alphaSweep',
      title: `WiSE-FT: accuracy over α (0 = ${probing ? 'linear probe' : 'zero-shot classifier'}, 1 = fine-tuned), with 95% bands`,
      points: sweepPoints(analysis, oodNames),
      metric: 'accuracy',
      chosenAlpha: commonAlpha(analysis),
      references: majorityReferences(analysis),
    },
    {
      type: 'table',
      title: 'Differences, paired over the same examples and seeds',
      columns: ['comparison', 'in-domain', 'OOD mean'],
      rows: [
        [
          'WiSE-FT at the chosen α − fine-tuned (α = 1)',
          difference(analysis.wiseFtGain.id),
          difference(analysis.wiseFtGain.oodMean),
        ],
        [
          'LoRA − full fine-tuning',
          difference(analysis.loraMinusFull.id),
          difference(analysis.loraMinusFull.oodMean),
        ],
      ],
    },
    ...stabilitySections((done.stability as StabilityResult | undefined) ?? null),
    {
      type: 'table',
      title: 'Every α',
      columns: ['α', 'in-domain', ...(oodNames.length > 1 ? ['OOD mean'] : []), ...oodNames],
      rows: analysis.sweep.map((point) => [
        String(point.alpha),
        cell(point.id),
        ...(oodNames.length > 1 ? [cell(point.oodMean)] : []),
        ...point.ood.map(cell),
      ]),
    },
    pooledConfusion(
      'Fine-tuned in full: in-domain confusion matrix (all seeds)',
      wiseFt.seeds.map((seed) => seed.predictions[wiseFt.alphas.indexOf(1)]!),
      evaluations,
      data,
    ),
    pooledConfusion(
      'Zero-shot (label words): in-domain confusion matrix',
      [zeroShot.predictions],
      evaluations,
      data,
    ),
  ];
  const summary = [
    `perplexity ${perplexity.perplexity.toFixed(2)} (${perplexity.bitsPerByte.toFixed(3)} bits/byte) on held-out text`,
    ...rows.map(
      ([estimates, , share]) =>
        `${estimates.model}: in-domain ${formatEstimate(estimates.id)}${estimates.oodMean ? `, OOD ${formatEstimate(estimates.oodMean)}` : ''}${share > 0 && share < 1 ? ` (${percent(share)} of the parameters trained)` : ''}`,
    ),
    `WiSE-FT: ${analysis.answers.wiseFt}`,
    `LoRA: ${analysis.answers.lora}`,
    zeroShotSentence(analysis).replaceAll('**', ''),
    ...warnings(analysis, rows),
  ].join('\n');
  return { json, html: { title: 'mini-llama demo', subtitle: data.task, sections }, summary, analysis };
}

/** How the zero-shot classifier was made, in words. */
function zeroShotDescription(zeroShot: ZeroShotResult): string {
  const head = zeroShot.head;
  const words = head.labelWords.map((list) => list.length);
  const perLabel =
    Math.min(...words) === Math.max(...words) ? `${words[0]}` : `${Math.min(...words)}–${Math.max(...words)}`;
  return `zero-shot by label words (${perLabel} per label after ${JSON.stringify(head.template)}, the mean of their LM-head rows${head.centredOn > 0 ? `, centred on ${head.centredOn.toLocaleString('en-US')} unlabelled in-domain texts` : ''})`;
}

function zeroShotSentence(analysis: StudyAnalysis): string {
  const above = analysis.zeroShotAboveChance.filter((set) => set.above).map((set) => set.name);
  const below = analysis.zeroShotAboveChance.filter((set) => !set.above).map((set) => set.name);
  const all = below.length === 0;
  return `**Zero-shot**: ${all ? 'above chance on every set' : above.length === 0 ? 'not above chance on any set' : `above chance on ${above.join(', ')}; not on ${below.join(', ')}`} (the lower end of its interval against the majority-class rate).${all ? '' : ' Where the zero-shot end is at chance, WiSE-FT has no zero-shot robustness to keep.'}`;
}

/** Sentences for what a reader would otherwise miss: classifiers that predict one class, ties in choosing α. */
function warnings(analysis: StudyAnalysis, rows: readonly [ModelEstimates, number, number][]): string[] {
  const out: string[] = [];
  for (const [estimates] of rows) {
    if (estimates.singleClass.length === 0) continue;
    const seeds = estimates.singleClass.map((entry) => entry.seed);
    const labels = [...new Set(estimates.singleClass.map((entry) => entry.label))];
    out.push(
      `⚠ ${estimates.model} predicts one class (${labels.join(', ')}) for every in-domain example${estimates.id.seeds > 1 ? ` in seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}` : ''}: its accuracy is the share of that class, not a skill.`,
    );
  }
  const ties = analysis.chosen.filter((entry) => entry.tie).length;
  if (ties > 0) {
    out.push(
      `⚠ α was chosen by a tie on validation in ${ties} of ${analysis.chosen.length} seed${analysis.chosen.length > 1 ? 's' : ''} (the smaller α wins a tie).`,
    );
  }
  return out;
}

function sweepPoints(analysis: StudyAnalysis, oodNames: readonly string[]): AlphaSweepPoint[] {
  const point = (alpha: number, set: string, value: Estimate | null): AlphaSweepPoint[] =>
    value ? [{ alpha, set, value: value.mean, low: value.low, high: value.high }] : [];
  return analysis.sweep.flatMap((entry) => [
    ...point(entry.alpha, 'in-domain test', entry.id),
    ...(oodNames.length > 1
      ? point(entry.alpha, 'OOD mean', entry.oodMean)
      : point(entry.alpha, `${oodNames[0]} (OOD)`, entry.ood[0] ?? null)),
  ]);
}

/** The α every seed chose, or the one most seeds chose. */
function commonAlpha(analysis: StudyAnalysis): number | undefined {
  const counts = new Map<number, number>();
  for (const { alpha } of analysis.chosen) counts.set(alpha, (counts.get(alpha) ?? 0) + 1);
  let best: number | undefined;
  for (const [alpha, n] of counts) if (best === undefined || n > counts.get(best)!) best = alpha;
  // marked only when most seeds chose it: a line at one seed's α among several would read as the choice
  return best !== undefined && counts.get(best)! > analysis.chosen.length / 2 ? best : undefined;
}

function majorityReferences(analysis: StudyAnalysis): { label: string; value: number }[] {
  const id = analysis.sets[0]!;
  const ood = analysis.sets.filter((set) => set.domain === 'OOD');
  const oodRate = ood.length > 0 ? ood.reduce((sum, set) => sum + set.majorityRate, 0) / ood.length : null;
  const references = [
    { label: `majority class, in domain (${id.majorityRate.toFixed(3)})`, value: id.majorityRate },
  ];
  if (oodRate !== null && Math.abs(oodRate - id.majorityRate) > 1e-9) {
    references.push({ label: `majority class, OOD (${oodRate.toFixed(3)})`, value: oodRate });
  }
  return references;
}

function pooledConfusion(
  title: string,
  runs: readonly SetsPredictions[],
  evaluations: SeedEvaluations,
  data: StudyData,
): ReportSection {
  const n = data.labelNames.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const run of runs) {
    const counts = confusionMatrix(evaluations.labels.id, run.id, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) matrix[i]![j]! += counts[i]![j]!;
  }
  return { type: 'confusionMatrix', title, labelNames: [...data.labelNames], matrix };
}

/** The stability grid as a table: each method at each rate, over seeds. */
function stabilitySections(stability: StabilityResult | null): ReportSection[] {
  if (!stability) return [];
  return [
    {
      type: 'table',
      title: 'Stability: each method over learning rates × seeds, at the same budget',
      columns: [
        'method',
        'learning rate',
        'final validation accuracy',
        's.d. over seeds',
        'val-loss curve s.d.',
        'steps to target',
      ],
      rows: stability.cells.map((cell) => [
        cell.method === 'lora' ? 'LoRA' : 'full',
        cell.lr.toExponential(0),
        cell.accuracy.mean,
        cell.accuracy.sd,
        cell.lossCurveSd,
        cell.stepsToTarget.map((step) => step ?? '–').join(', '),
      ]),
      caption: `Target: validation accuracy ${stability.target.toFixed(3)}, halfway from the majority-class rate to the best cell. ${stability.verdict}`,
    },
  ];
}
