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

// What a header calls the text and the label when not `text` and `label` (pandas and spreadsheet exports of
// the usual datasets): the first header field found among these names is the column.
const TEXT_NAMES = ['text', 'sentence', 'review', 'content', 'document', 'tweet', 'comment'];
const LABEL_NAMES = ['label', 'labels', 'class', 'category', 'sentiment', 'target', 'polarity', 'stars'];

/**
 * A generic CSV or TSV of texts and labels, as people and tools write them: RFC 4180 quoting in both (pandas
 * quotes a field holding the delimiter, a quote or a newline; a TSV without quoting is read as written), a
 * header naming the columns — `text` and `label`, a common synonym (`sentence`, `review`, `class`, …), or the
 * columns given — or no header at all (`text,label` rows). A first row that is neither a header it
 * understands nor a row like the others is refused with the file and line, never read as an example.
 */
export function parseTableClassification(
  text: string,
  file: string,
  { delimiter, textColumn, labelColumn, labelNames }: TableOptions,
): ClassificationDataset {
  const rows = readRows(text, file, delimiter);
  const first = rows[0];
  if (!first) throw new DataFormatError(file, null, 'no examples: the file is empty');
  const layout = delimiter === ',' ? 'comma-separated' : 'tab-separated';
  const header = headerColumns(first, rows.slice(1), file, textColumn, labelColumn);
  let body: DelimitedRow[];
  let textIndex: number;
  let labelIndex: number;
  if (header) {
    ({ textIndex, labelIndex } = header);
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

/** Rows with RFC 4180 quoting; a TSV whose bare quotes do not parse that way is read without quoting. */
function readRows(text: string, file: string, delimiter: ',' | '\t'): DelimitedRow[] {
  if (delimiter === ',') return parseDelimited(text, file, { delimiter, quoted: true });
  try {
    return parseDelimited(text, file, { delimiter, quoted: true });
  } catch (error) {
    if (!(error instanceof DataFormatError)) throw error;
    return parseDelimited(text, file, { delimiter, quoted: false });
  }
}

/**
 * The header's text and label columns, or null for a headerless file. Columns given by name must be in the
 * header; otherwise the header is recognised by its names (TEXT_NAMES, LABEL_NAMES). A first row that names
 * neither is a header of unknown columns when its label field appears in no other row (a headerless file's
 * labels repeat): then it is refused, saying how to name the columns.
 */
function headerColumns(
  first: DelimitedRow,
  rest: readonly DelimitedRow[],
  file: string,
  textColumn: string | undefined,
  labelColumn: string | undefined,
): { textIndex: number; labelIndex: number } | null {
  const fields = first.fields.map((field) => field.trim());
  const find = (given: string | undefined, names: readonly string[]) =>
    given === undefined
      ? fields.findIndex((field) => names.includes(field.toLowerCase()))
      : fields.indexOf(given);
  const textIndex = find(textColumn, TEXT_NAMES);
  const labelIndex = find(labelColumn, LABEL_NAMES);
  if (textColumn !== undefined || labelColumn !== undefined || textIndex !== -1 || labelIndex !== -1) {
    if (textIndex === -1) throw missingColumn(first, textColumn ?? TEXT_NAMES.join('/'), file);
    if (labelIndex === -1) throw missingColumn(first, labelColumn ?? LABEL_NAMES.join('/'), file);
    return { textIndex, labelIndex };
  }
  const labelsBelow = new Set(rest.map((row) => row.fields[1]?.trim()));
  if (fields.length === 2 && rest.length >= 2 && !labelsBelow.has(fields[1])) {
    throw new DataFormatError(
      file,
      first.line,
      `the first row (${fields.join(', ')}) looks like a header, but names no text or label column: name them, e.g. csv:${file}?text=${fields[0]}&label=${fields[1]} (or --text-column/--label-column)`,
    );
  }
  return null;
}

function missingColumn(header: DelimitedRow, column: string, file: string): DataFormatError {
  return new DataFormatError(
    file,
    header.line,
    `missing column '${column}' (header: ${header.fields.join(', ')})`,
  );
}
