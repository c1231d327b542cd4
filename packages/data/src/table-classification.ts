import { type ClassificationDataset, nonEmptyDataset, resolveLabels } from './classification-dataset.js';
import { DataFormatError } from './data-format-error.js';
import { type DelimitedRow, expectFieldCount, parseDelimited } from './delimited-rows.js';

export interface ColumnOptions {
  /** Column (CSV/TSV header) or field (JSONL, Parquet) holding the text; default `text`. */
  textColumn?: string;
  /** Column holding the label, as a name or an integer; default `label`. */
  labelColumn?: string;
  /** Class names in label order; inferred when absent (see resolveLabels). */
  labelNames?: readonly string[];
}

export interface TableOptions extends ColumnOptions {
  delimiter: ',' | '\t';
}

/**
 * A generic CSV (quoted, RFC 4180) or TSV (unquoted) of texts and labels. With a header row, the columns
 * are found by name; a file whose first row names neither column is read as headerless `text,label`
 * (`text<TAB>label`), but only when the default column names were not overridden.
 */
export function parseTableClassification(
  text: string,
  file: string,
  { delimiter, textColumn = 'text', labelColumn = 'label', labelNames }: TableOptions,
): ClassificationDataset {
  const rows = parseDelimited(text, file, { delimiter, quoted: delimiter === ',' });
  const first = rows[0];
  if (!first) throw new DataFormatError(file, null, 'no examples: the file is empty');
  const layout = delimiter === ',' ? 'comma-separated' : 'tab-separated';

  let body: DelimitedRow[];
  let textIndex: number;
  let labelIndex: number;
  const named = first.fields.includes(textColumn) || first.fields.includes(labelColumn);
  if (named || textColumn !== 'text' || labelColumn !== 'label') {
    textIndex = columnIndex(first, textColumn, file);
    labelIndex = columnIndex(first, labelColumn, file);
    body = rows.slice(1);
    for (const row of body) expectFieldCount(row, first.fields.length, file, layout);
  } else {
    [textIndex, labelIndex, body] = [0, 1, rows];
    for (const row of body) expectFieldCount(row, 2, file, `${layout} (text, label; no header)`);
  }
  const resolved = resolveLabels(
    body.map((row) => ({ value: row.fields[labelIndex]!, line: row.line })),
    file,
    labelNames,
  );
  const examples = body.map((row, i) => ({
    text: row.fields[textIndex]!.trim(),
    label: resolved.labels[i]!,
  }));
  return nonEmptyDataset({ examples, labelNames: resolved.labelNames, source: file, labelled: true });
}

function columnIndex(header: DelimitedRow, column: string, file: string): number {
  const index = header.fields.indexOf(column);
  if (index === -1) {
    throw new DataFormatError(
      file,
      header.line,
      `missing column '${column}' (header: ${header.fields.join(', ')})`,
    );
  }
  return index;
}
