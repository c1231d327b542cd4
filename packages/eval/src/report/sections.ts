import type { ClassificationMetrics } from '../classification-metrics.js';
import type { IdOodReport } from '../id-ood.js';
import type { LossPoint } from '../metrics-jsonl.js';

/** A paragraph or more of Markdown (CommonMark + GFM tables); raw HTML in it is shown as text. */
export interface MarkdownSection {
  type: 'markdown';
  title?: string;
  markdown: string;
}

export type TableCell = string | number | null;

/**
 * A table. Numbers in a column with any fractional value are shown with 4 decimals, integers elsewhere as
 * they are; null is an empty cell.
 */
export interface TableSection {
  type: 'table';
  title?: string;
  columns: string[];
  rows: TableCell[][];
  caption?: string;
}

/** Training (and validation) loss against the step; `run` on the points tells several runs apart. */
export interface LossCurveSection {
  type: 'lossCurve';
  title?: string;
  points: (LossPoint & { run?: string })[];
  /** The y axis title (default 'loss (nats per token)'). */
  yTitle?: string;
  /** Draw each run's training loss as a centred moving mean over this many logged steps (default 1: raw). */
  smooth?: number;
}

/** One value of an α sweep: the metric of one evaluation set at one mixing coefficient. */
export interface AlphaSweepPoint {
  alpha: number;
  set: string;
  value: number;
  /** A 95% interval around the value, drawn as a band. */
  low?: number;
  high?: number;
}

/** A metric against the mixing coefficient α (WiSE-FT: θ = (1 − α)·θ_zero-shot + α·θ_fine-tuned), a line per set. */
export interface AlphaSweepSection {
  type: 'alphaSweep';
  title?: string;
  points: AlphaSweepPoint[];
  /** The y axis title (default 'accuracy'). */
  metric?: string;
  /** The α a selection chose, marked by a vertical rule. */
  chosenAlpha?: number;
  /** Horizontal reference lines, e.g. a majority-class rate. */
  references?: { label: string; value: number }[];
}

/** Counts of (true label, prediction) as a heatmap; matrix[true][predicted]. */
export interface ConfusionMatrixSection {
  type: 'confusionMatrix';
  title?: string;
  labelNames: string[];
  matrix: number[][];
}

/** Prompts and what a model wrote after them. */
export interface ContinuationsSection {
  type: 'continuations';
  title?: string;
  items: { prompt: string; continuation: string }[];
}

export type ReportSection =
  | MarkdownSection
  | TableSection
  | LossCurveSection
  | AlphaSweepSection
  | ConfusionMatrixSection
  | ContinuationsSection;

/** A report: plain data (JSON as it stands), rendered to HTML by `renderReport`. */
export interface Report {
  title: string;
  /** Shown under the title, e.g. the command that made the report. */
  subtitle?: string;
  sections: ReportSection[];
}

/** Per-class precision, recall, F1 and support, with the macro average and accuracy below. */
export function metricsTable(metrics: ClassificationMetrics, title = 'Per-class metrics'): TableSection {
  return {
    type: 'table',
    title,
    columns: ['class', 'precision', 'recall', 'F1', 'support', 'predicted'],
    rows: [
      ...metrics.perClass.map((c) => [c.label, c.precision, c.recall, c.f1, c.support, c.predicted]),
      ['macro F1', null, null, metrics.macroF1, metrics.n, null],
      ['accuracy', null, null, metrics.accuracy, metrics.n, null],
    ],
  };
}

export function confusionMatrixSection(
  metrics: ClassificationMetrics,
  title = 'Confusion matrix',
): ConfusionMatrixSection {
  return { type: 'confusionMatrix', title, labelNames: metrics.labelNames, matrix: metrics.confusion };
}

/** The in-domain set, each OOD set and their mean, as a table. */
export function idOodTable(report: IdOodReport, title = 'In-domain and out-of-domain'): TableSection {
  return {
    type: 'table',
    title,
    columns: ['set', 'domain', 'accuracy', 'macro F1', 'n'],
    rows: [
      [report.id.name, 'ID', report.id.accuracy, report.id.macroF1, report.id.n],
      ...report.ood.map((entry) => [entry.name, 'OOD', entry.accuracy, entry.macroF1, entry.n]),
      ...(report.oodMean
        ? [['OOD mean', 'OOD', report.oodMean.accuracy, report.oodMean.macroF1, null] as TableCell[]]
        : []),
    ],
  };
}

/**
 * An α sweep of ID/OOD reports → chart points: the ID set, each OOD set and (unless turned off, or with a
 * single OOD set, which is its own mean) the OOD mean, for `metric` (accuracy by default).
 */
export function alphaSweepPoints(
  sweep: readonly { alpha: number; report: IdOodReport }[],
  { metric = 'accuracy', oodMean = true }: { metric?: 'accuracy' | 'macroF1'; oodMean?: boolean } = {},
): AlphaSweepPoint[] {
  return sweep.flatMap(({ alpha, report }) => [
    { alpha, set: `${report.id.name} (ID)`, value: report.id[metric] },
    ...report.ood.map((entry) => ({ alpha, set: `${entry.name} (OOD)`, value: entry[metric] })),
    ...(oodMean && report.oodMean && report.ood.length > 1
      ? [{ alpha, set: 'OOD mean', value: report.oodMean[metric] }]
      : []),
  ]);
}
