import { type ClassificationDataset, nonEmptyDataset, resolveLabels } from './classification-dataset.js';
import { DataFormatError } from './data-format-error.js';
import { describeJson, parseJsonl, stringField } from './jsonl.js';
import type { ColumnOptions } from './table-classification.js';

/** JSONL with a text field and a label field (a name, or an integer index); field names as in ColumnOptions. */
export function parseJsonlClassification(
  text: string,
  file: string,
  { textColumn = 'text', labelColumn = 'label', labelNames }: ColumnOptions = {},
): ClassificationDataset {
  const records = parseJsonl(text, file);
  const raw = records.map((record) => {
    const value = record.value[labelColumn];
    if (value === undefined) {
      const fields = Object.keys(record.value).join(', ') || 'none';
      throw new DataFormatError(file, record.line, `missing field '${labelColumn}' (fields: ${fields})`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new DataFormatError(
        file,
        record.line,
        `field '${labelColumn}' must be a string or a number, got ${describeJson(value)}`,
      );
    }
    return { value, line: record.line };
  });
  const texts = records.map((record) => stringField(record, textColumn, file).trim());
  const resolved = resolveLabels(raw, file, labelNames);
  const examples = texts.map((t, i) => ({ text: t, label: resolved.labels[i]! }));
  return nonEmptyDataset({ examples, labelNames: resolved.labelNames, source: file, labelled: true });
}
