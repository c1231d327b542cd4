/** The fields of a `metrics.jsonl` line (written by the trainer's `runTraining`) that reports read. */
export interface MetricsLine {
  step: number;
  loss: number;
  valLoss?: number;
  /** A classifier's validation accuracy (finetune's trackAccuracy). */
  valAccuracy?: number;
  lr?: number;
}

/** One point of a loss curve. */
export interface LossPoint {
  step: number;
  loss: number;
  split: 'train' | 'validation';
}

/**
 * `metrics.jsonl` text → its lines, in order. Each line must be a JSON object with a numeric `step` and
 * `loss`; `valLoss` appears on evaluation steps. Blank lines are skipped; `file` names the source in errors.
 */
export function parseMetricsJsonl(text: string, file = 'metrics.jsonl'): MetricsLine[] {
  const lines: MetricsLine[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${file}:${index + 1}: invalid JSON: ${(error as Error).message}`);
    }
    const record = value as Partial<MetricsLine> | null;
    if (typeof record?.step !== 'number' || typeof record.loss !== 'number') {
      throw new Error(`${file}:${index + 1}: expected an object with numeric "step" and "loss"`);
    }
    lines.push(record as MetricsLine);
  });
  return lines;
}

/** Training loss at every logged step, validation loss where it was evaluated; non-finite losses are dropped. */
export function lossCurvePoints(lines: readonly MetricsLine[]): LossPoint[] {
  const points: LossPoint[] = [];
  for (const { step, loss, valLoss } of lines) {
    if (Number.isFinite(loss)) points.push({ step, loss, split: 'train' });
    if (valLoss !== undefined && Number.isFinite(valLoss))
      points.push({ step, loss: valLoss, split: 'validation' });
  }
  return points;
}
