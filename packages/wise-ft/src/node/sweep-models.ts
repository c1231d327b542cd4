// The WiSE-FT α sweep over models on disk: θ(α) built from the two ends (weight-space.ts), loaded into one
// model, and evaluated in and out of domain at each α; the results as JSON lines, a summary and a report.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalSet } from '@mini-llama/data/node';
import { type IdOodReport, predictIdOod, type SetPredictions } from '@mini-llama/eval';
import { saveClassifierHead } from '@mini-llama/eval/node';
import { alphaSweepPoints, idOodTable, type ReportSection, renderReport } from '@mini-llama/eval/report';
import type { StateDict } from '@mini-llama/formats';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { copyTokenizerTo } from '@mini-llama/tokenizer/node';
import { type AlphaResult, sweepAlphas } from '../sweep.js';
import { predictorFor, type WiseFtEnds, type WiseFtSources, wiseFtEnds } from './weight-space.js';

/** One α's accuracies by set name (a line of results.jsonl). */
export interface AlphaLine {
  alpha: number;
  accuracy: Record<string, number>;
  macroF1: Record<string, number>;
  n: Record<string, number>;
  oodMean: number | null;
}

export interface WiseFtSweepOptions extends WiseFtSources {
  tokenizer: Tokenizer;
  alphas: readonly number[];
  id: EvalSet;
  ood: readonly EvalSet[];
  batchSize?: number;
  /** Writes results.jsonl, report.json and report.html here. */
  out?: string;
  /** After each α, with its report. */
  onAlpha?: (line: AlphaLine, report: IdOodReport, index: number, total: number) => void;
}

/** What a sweep found: report.json's contents. */
export interface WiseFtSummary {
  pretrained: string;
  finetuned: string | null;
  adapter: string | null;
  mode: 'classifier' | 'language-model';
  pretrainedHead: WiseFtEnds['pretrainedHead'];
  backboneOnly: boolean;
  id: string;
  ood: string[];
  chosenAlpha: number;
  chosen: AlphaLine;
  results: AlphaLine[];
}

/** One α's report and what it predicted for every example (what intervals are computed from). */
export interface AlphaReport {
  alpha: number;
  report: IdOodReport;
  predictions: { id: SetPredictions; ood: SetPredictions[] };
}

export interface WiseFtSweepResult {
  summary: WiseFtSummary;
  /** The full report of every α (per-set metrics) and each set's predictions, in α order. */
  reports: AlphaReport[];
  /** What the two ends are, in words. */
  description: string;
}

/**
 * θ(α) = (1 − α)·θ_pretrained + α·θ_fine-tuned at each α, evaluated on the in-domain set (which chooses α: the
 * best in-domain accuracy, ties to the smaller α) and the out-of-domain sets.
 */
export async function wiseFtSweep(options: WiseFtSweepOptions): Promise<WiseFtSweepResult> {
  const { id, ood, alphas } = options;
  return withEnds(options, async (ends, load, model, classifier, description) => {
    const predict = predictorFor(
      model,
      classifier,
      ends.classifier,
      options.tokenizer,
      id,
      options.batchSize,
    );
    const labelNames = id.dataset.labelNames;
    const reports: AlphaReport[] = [];
    const { results, chosen } = await sweepAlphas(
      [...alphas],
      async (alpha) => {
        load(ends.at(alpha));
        const named = (set: EvalSet) => ({ name: set.name, examples: set.dataset.examples });
        const { report, ...predictions } = await predictIdOod(predict, {
          id: named(id),
          ood: ood.map(named),
          labelNames,
        });
        reports.push({ alpha, report, predictions });
        return {
          selection: report.id.accuracy,
          scores: Object.fromEntries([report.id, ...report.ood].map((entry) => [entry.name, entry.accuracy])),
        };
      },
      {
        onAlpha: (result: AlphaResult, index, total) =>
          options.onAlpha?.(
            alphaLine(result.alpha, reports[index]!.report),
            reports[index]!.report,
            index,
            total,
          ),
      },
    );
    const lines = reports.map(({ alpha, report }) => alphaLine(alpha, report));
    const summary: WiseFtSummary = {
      pretrained: options.pretrained,
      finetuned: options.finetuned ?? null,
      adapter: options.adapter ?? null,
      mode: ends.classifier ? 'classifier' : 'language-model',
      pretrainedHead: ends.pretrainedHead,
      backboneOnly: options.backboneOnly,
      id: id.name,
      ood: ood.map((set) => set.name),
      chosenAlpha: chosen.alpha,
      chosen: lines[results.indexOf(chosen)]!,
      results: lines,
    };
    if (options.out) {
      await mkdir(options.out, { recursive: true });
      await writeFile(
        join(options.out, 'results.jsonl'),
        lines.map((line) => `${JSON.stringify(line)}\n`).join(''),
      );
      await writeFile(join(options.out, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
      await writeFile(
        join(options.out, 'report.html'),
        await renderReport(wiseFtReport(summary, reports, description)),
      );
    }
    return { summary, reports, description };
  });
}

export interface SaveInterpolatedOptions extends WiseFtSources {
  tokenizer: Tokenizer;
  /** The tokenizer file to copy beside the weights, when there is one. */
  tokenizerFile?: string | null;
  alpha: number;
  /** An HF directory: the weights, and a classifier's head and labels. */
  path: string;
}

/** Writes θ(α) (a classifier with its head and labels.json) and returns what the ends are, in words. */
export async function saveInterpolated(options: SaveInterpolatedOptions): Promise<string> {
  return withEnds(options, async (ends, load, model, classifier, description) => {
    load(ends.at(options.alpha));
    await saveModel(model, options.path, { format: 'hf' });
    if (classifier && ends.classifier) {
      await saveClassifierHead(
        options.path,
        (await classifier.stateDict()).get('score.weight')!,
        ends.classifier,
      );
    }
    if (options.tokenizerFile) await copyTokenizerTo(options.tokenizerFile, options.path);
    return description;
  });
}

/** The two ends, a model (and classifier) to load θ(α) into, for `work`; disposed after. */
async function withEnds<T>(
  options: WiseFtSources & { tokenizer: Tokenizer; id?: EvalSet },
  work: (
    ends: WiseFtEnds,
    load: (state: StateDict) => void,
    model: LlamaModel,
    classifier: SequenceClassifier | null,
    description: string,
  ) => Promise<T>,
): Promise<T> {
  const ends = await wiseFtEnds(options, options.tokenizer);
  const { id } = options;
  if (id && ends.classifier && ends.classifier.labelNames.length !== id.dataset.labelNames.length) {
    throw new Error(
      `the classifier has ${ends.classifier.labelNames.length} labels (${ends.classifier.labelNames.join(', ')}), ${id.name} has ${id.dataset.labelNames.length}`,
    );
  }
  const description = describeEnds(ends);
  const model = new LlamaModel(ends.config, { init: 'none' });
  const classifier = ends.classifier
    ? new SequenceClassifier(model, ends.classifier.labelNames.length)
    : null;
  try {
    const load = (state: StateDict) => (classifier ?? model).loadStateDict(state, 'θ(α)');
    return await work(ends, load, model, classifier, description);
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}

/** What the two ends are, in words. */
export function describeEnds(ends: Pick<WiseFtEnds, 'classifier' | 'pretrainedHead'>): string {
  return ends.classifier
    ? `classifier (pretrained head: ${ends.pretrainedHead}${ends.classifier.prompt ? `; texts in ${JSON.stringify(ends.classifier.prompt.template)}` : ''})`
    : 'language model (zero-shot label scoring)';
}

function alphaLine(alpha: number, report: IdOodReport): AlphaLine {
  const entries = [report.id, ...report.ood];
  return {
    alpha,
    accuracy: Object.fromEntries(entries.map((entry) => [entry.name, entry.accuracy])),
    macroF1: Object.fromEntries(entries.map((entry) => [entry.name, entry.macroF1])),
    n: Object.fromEntries(entries.map((entry) => [entry.name, entry.n])),
    oodMean: report.oodMean?.accuracy ?? null,
  };
}

function wiseFtReport(
  summary: WiseFtSummary,
  reports: { alpha: number; report: IdOodReport }[],
  description: string,
) {
  const chosen = reports.find((entry) => entry.alpha === summary.chosenAlpha)!;
  const sections: ReportSection[] = [
    {
      type: 'markdown',
      markdown: `θ(α) = (1 − α)·θ_pretrained + α·θ_fine-tuned, a ${description}. Pretrained: \`${summary.pretrained}\`; fine-tuned: \`${summary.finetuned ?? summary.adapter}\`. α = ${summary.chosenAlpha} is chosen on ${summary.id} (in-domain accuracy).`,
    },
    { type: 'alphaSweep', title: 'Accuracy over α', points: alphaSweepPoints(reports), metric: 'accuracy' },
    idOodTable(chosen.report, `At the chosen α = ${summary.chosenAlpha}`),
    {
      type: 'table',
      title: 'Every α',
      columns: ['α', chosen.report.id.name, ...chosen.report.ood.map((entry) => entry.name), 'OOD mean'],
      rows: reports.map(({ alpha, report }) => [
        alpha,
        report.id.accuracy,
        ...report.ood.map((entry) => entry.accuracy),
        report.oodMean?.accuracy ?? null,
      ]),
    },
  ];
  return { title: 'WiSE-FT α sweep', subtitle: `in-domain ${summary.id}`, sections };
}
