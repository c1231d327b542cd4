import type { LossPoint } from '@mini-llama/eval';
import { alphaSweepPoints, type Report, type ReportSection } from '@mini-llama/eval/report';
import type { StudyBase, StudyPlan, StudyState } from './plan.js';
import type {
  Continuation,
  Evaluation,
  PerplexityResult,
  StudyData,
  SweepResult,
  TrainableShares,
} from './results.js';

/** Everything the report is made of: the state of a finished study and its loss curves. */
export interface StudyReportInput {
  directory: string;
  state: StudyState;
  plan: StudyPlan;
  elapsedMs: number;
  /** The training loss curves, each point tagged with its run (pretrain, fine-tune (full), fine-tune (LoRA)). */
  curves: (LossPoint & { run: string })[];
}

/** The study's report: report.json's contents, the HTML report (as data, for renderReport), a summary. */
export function studyReport({ directory, state, plan, elapsedMs, curves }: StudyReportInput): {
  json: Record<string, unknown>;
  html: Report;
  summary: string;
} {
  const done = state.done;
  const data = done.data as StudyData;
  const perplexity = done.perplexity as PerplexityResult;
  const zeroShot = done['zero-shot'] as Evaluation;
  const { full, lora, shares } = done.evaluate as {
    full: Evaluation;
    lora: Evaluation;
    shares: TrainableShares;
  };
  const sweep = done['wise-ft'] as SweepResult;
  // A study of a given base records it as its pretraining stage's result (see runStudy's `base`).
  const base = state.base ? (done.pretrain as StudyBase) : null;
  const ood = (evaluation: Evaluation) => evaluation.idOod?.oodMean?.accuracy ?? null;
  const chosen = sweep.results.find((result) => result.alpha === sweep.chosenAlpha)!;
  const rows = [
    ['zero-shot (pretrained, label words)', zeroShot.accuracy, ood(zeroShot), 0, 0],
    ['fine-tuned in full', full.accuracy, ood(full), shares.full, 1],
    [`LoRA r ${plan.loraRank} (+ head)`, lora.accuracy, ood(lora), shares.lora, shares.loraShare],
    [
      `WiSE-FT α = ${sweep.chosenAlpha} (chosen in-domain)`,
      chosen.accuracy[sweep.id]!,
      chosen.oodMean,
      shares.full,
      1,
    ],
  ] as [string, number, number | null, number, number][];
  const json = {
    base: state.base ?? null,
    task: data.task,
    labelNames: full.labelNames, // as the classifiers order them
    sizes: data.sizes,
    ood: data.ood,
    plan,
    elapsedSeconds: Math.round(elapsedMs / 1000),
    perplexity,
    continuations: done.continuations,
    classification: rows.map(([model, id, oodMean, trainable, share]) => ({
      model,
      id,
      oodMean,
      trainable,
      share,
    })),
    zeroShot,
    finetuned: { full, lora },
    trainable: shares,
    wiseFt: sweep,
  };
  const sweepReports = sweep.results.map((result) => ({
    alpha: result.alpha,
    report: {
      id: { name: sweep.id, accuracy: result.accuracy[sweep.id]!, macroF1: 0, n: 0 },
      ood: sweep.ood.map((name) => ({ name, accuracy: result.accuracy[name]!, macroF1: 0, n: 0 })),
      oodMean: result.oodMean === null ? null : { accuracy: result.oodMean, macroF1: 0 },
    },
  }));
  const percent = (share: number) => `${(100 * share).toFixed(2)}%`;
  const count = (n: number) => n.toLocaleString('en-US');
  const parameters = count(shares.full - shares.head);
  const model = base
    ? `The ${parameters}-parameter Llama \`${base.base}\` (dim ${base.shape.dim}, ${base.shape.layers} layers, ${base.shape.heads} heads / ${base.shape.kvHeads} KV heads, its own ${count(base.vocabSize)}-token vocabulary), not trained here`
    : `A ${parameters}-parameter Llama (dim ${plan.shape.dim}, ${plan.shape.layers} layers, ${plan.shape.heads} heads / ${plan.shape.kvHeads} KV heads, a ${plan.vocabSize}-piece BPE vocabulary trained here) pretrained on ${count(data.corpusDocuments)} documents of the Brown corpus (its in-domain training files)`;
  const sections: ReportSection[] = [
    {
      type: 'markdown',
      markdown: `${model}, then taught **${data.task}**: zero-shot by label words, fine-tuned in full and with LoRA from the zero-shot head, and interpolated in weight space (WiSE-FT). In-domain: ${data.sizes.test} test examples; out of domain: ${data.ood.map((set) => set.name).join(', ')}. Run directory: \`${directory}\`.`,
    },
    { type: 'lossCurve', title: 'Training loss', points: curves },
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
      title: 'Classification: in-domain and out-of-domain accuracy',
      columns: ['model', 'in-domain', 'OOD mean', 'trainable parameters', 'share'],
      rows: rows.map(([model, id, oodMean, trainable, share]) => [
        model,
        id,
        oodMean,
        trainable,
        percent(share),
      ]),
    },
    {
      type: 'alphaSweep',
      title: 'WiSE-FT: accuracy over α (0 = zero-shot, 1 = fine-tuned)',
      points: alphaSweepPoints(sweepReports),
      metric: 'accuracy',
    },
    {
      type: 'confusionMatrix',
      title: 'Fine-tuned in full: in-domain confusion matrix',
      labelNames: full.labelNames,
      matrix: full.confusion,
    },
    {
      type: 'confusionMatrix',
      title: 'Zero-shot: in-domain confusion matrix',
      labelNames: zeroShot.labelNames,
      matrix: zeroShot.confusion,
    },
  ];
  const summary = [
    `perplexity ${perplexity.perplexity.toFixed(2)} (${perplexity.bitsPerByte.toFixed(3)} bits/byte) on held-out text`,
    ...rows.map(
      ([model, id, oodMean, , share]) =>
        `${model}: in-domain ${id.toFixed(4)}${oodMean === null ? '' : `, OOD ${oodMean.toFixed(4)}`}${share > 0 && share < 1 ? ` (${percent(share)} of the parameters trained)` : ''}`,
    ),
  ].join('\n');
  return { json, html: { title: 'mini-llama demo', subtitle: data.task, sections }, summary };
}
