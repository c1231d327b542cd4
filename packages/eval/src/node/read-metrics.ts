import { readFile } from 'node:fs/promises';
import { describeFileError } from '@mini-llama/formats/node';
import { type MetricsLine, parseMetricsJsonl } from '../metrics-jsonl.js';

/** Reads a run's `metrics.jsonl` (a file, or a run directory holding one). */
export async function readMetricsJsonl(path: string): Promise<MetricsLine[]> {
  const file = path.endsWith('.jsonl') ? path : `${path.replace(/\/+$/, '')}/metrics.jsonl`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read: ${describeFileError(error)}`);
  }
  return parseMetricsJsonl(text, file);
}
