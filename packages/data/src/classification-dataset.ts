import { DataFormatError } from './data-format-error.js';

/** One text with its class: `label` indexes the dataset's `labelNames`. */
export interface ClassificationExample {
  text: string;
  label: number;
}

/** The one shape every classification loader returns, whatever the file format. */
export interface ClassificationDataset {
  examples: ClassificationExample[];
  /** Class names, index = label (`['negative', 'positive']` for SST-2). */
  labelNames: string[];
  /** Where it came from: a file path, a task spec, or a description such as `brown:ood`. */
  source: string;
  /**
   * False for files without gold labels (GLUE's SST-2 test.tsv): every label is then UNLABELLED, and the set
   * is only good for prediction.
   */
  labelled: boolean;
}

/** The label of an example whose file has none. Never a valid class index. */
export const UNLABELLED = -1;

/** A raw label as found in a file, and the line it is on (for errors). */
export interface RawLabel {
  value: string | number;
  line: number;
}

/**
 * Raw labels → class indices and names. Labels may be written as names or as integers:
 * - with `labelNames` given, a label equal to a name takes that name's index, and an integer in
 *   [0, labelNames.length) is taken as the index itself; anything else is an unknown label;
 * - without, integer labels ≥ 0 keep their value and are named '0' … 'max'; otherwise the distinct labels,
 *   sorted (by UTF-16 code unit, the same on every machine), become the names.
 */
export function resolveLabels(
  raw: readonly RawLabel[],
  file: string,
  labelNames?: readonly string[],
): { labels: number[]; labelNames: string[] } {
  if (labelNames) {
    if (labelNames.length === 0) throw new DataFormatError(file, null, 'labelNames is empty');
    const byName = new Map(labelNames.map((name, index) => [name, index]));
    const labels = raw.map(({ value, line }) => {
      const named = byName.get(String(value).trim());
      if (named !== undefined) return named;
      const index = asIndex(value);
      if (index !== null && index < labelNames.length) return index;
      throw new DataFormatError(file, line, unknownLabel(value, labelNames));
    });
    return { labels, labelNames: [...labelNames] };
  }
  const indices = raw.map(({ value }) => asIndex(value));
  if (indices.every((index) => index !== null)) {
    const max = Math.max(-1, ...(indices as number[]));
    return { labels: indices as number[], labelNames: Array.from({ length: max + 1 }, (_, i) => String(i)) };
  }
  const names = [...new Set(raw.map(({ value }) => String(value).trim()))].sort();
  const byName = new Map(names.map((name, index) => [name, index]));
  return { labels: raw.map(({ value }) => byName.get(String(value).trim())!), labelNames: names };
}

export function unknownLabel(value: string | number, labelNames: readonly string[]): string {
  const known = labelNames.map((name, index) => `${index}=${name}`).join(', ');
  return `unknown label ${JSON.stringify(value)} (labels: ${known})`;
}

/** A non-negative integer label ("3", 3) → 3; anything else → null. */
function asIndex(value: string | number): number | null {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) return null;
  const index = Number(text);
  return Number.isSafeInteger(index) ? index : null;
}

/** Throws for a dataset with no examples: an empty split is always a mistake upstream. */
export function nonEmptyDataset(dataset: ClassificationDataset): ClassificationDataset {
  if (dataset.examples.length === 0)
    throw new DataFormatError(dataset.source, null, 'no examples: the dataset is empty');
  return dataset;
}
