import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalSet } from '@mini-llama/data/node';
import { type LossPoint, lossCurvePoints, parseMetricsJsonl } from '@mini-llama/eval';
import type { SetsLabels } from '../results.js';

/** A training run of the study: its label in the report, its directory, and which method it is of. */
export interface StudyRun {
  label: string;
  directory: string;
  method: 'full' | 'lora' | null;
}

/** Every run's loss curve (points tagged with the run's label) and each fine-tune's final training loss. */
export async function studyCurves(runs: readonly StudyRun[]): Promise<{
  curves: (LossPoint & { run: string })[];
  finalLosses: { full: number[]; lora: number[] };
}> {
  const curves: (LossPoint & { run: string })[] = [];
  const finalLosses = { full: [] as number[], lora: [] as number[] };
  for (const { label, directory, method } of runs) {
    const path = join(directory, 'metrics.jsonl');
    const points = lossCurvePoints(parseMetricsJsonl(await readFile(path, 'utf8'), path));
    for (const point of points) curves.push({ ...point, run: label });
    if (method) finalLosses[method].push(finalTrainingLoss(points));
  }
  return { curves, finalLosses };
}

/** The mean training loss over the last tenth of a run's logged steps (at least one). */
export function finalTrainingLoss(points: readonly LossPoint[]): number {
  const train = points.filter((point) => point.split === 'train');
  if (train.length === 0) throw new Error('finalTrainingLoss: no training steps logged');
  const tail = train.slice(-Math.max(1, Math.floor(train.length / 10)));
  return tail.reduce((sum, point) => sum + point.loss, 0) / tail.length;
}

/** The labels of the in-domain test set and of each OOD set. */
export function setsLabels(id: EvalSet, ood: readonly EvalSet[]): SetsLabels {
  const labels = (set: EvalSet) => set.dataset.examples.map((example) => example.label);
  return { id: labels(id), ood: ood.map(labels) };
}
