import { type ClassificationDataset, nonEmptyDataset, resolveLabels } from './classification-dataset.js';
import { DataFormatError } from './data-format-error.js';

const SEPARATOR = ' ||| ';

/**
 * The CMU minllama assignment's files (SST-5, CFIMDB): `label ||| text` per line, label an integer index into
 * the `*-label-mapping.json` list beside them (pass it as `labelNames`; without it the names are '0' …
 * 'max'). Text is kept as written, including the `"""`-quoted reviews of CFIMDB, and trimmed. Note that
 * cfimdb-test.txt carries a placeholder 0 on every line: it parses, but its labels mean nothing.
 */
export function parseMinllama(
  text: string,
  file: string,
  labelNames?: readonly string[],
): ClassificationDataset {
  const rows: { label: string; text: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    if (lineText.trim() === '') return;
    const at = lineText.indexOf(SEPARATOR);
    if (at === -1) throw new DataFormatError(file, index + 1, "expected '<label> ||| <text>'");
    rows.push({
      label: lineText.slice(0, at),
      text: lineText.slice(at + SEPARATOR.length).trim(),
      line: index + 1,
    });
  });
  const resolved = resolveLabels(
    rows.map(({ label, line }) => ({ value: label, line })),
    file,
    labelNames,
  );
  const examples = rows.map((row, i) => ({ text: row.text, label: resolved.labels[i]! }));
  return nonEmptyDataset({ examples, labelNames: resolved.labelNames, source: file, labelled: true });
}

/** A minllama label mapping file's contents (`["bad", "good"]`) → label names. */
export function parseLabelMapping(json: unknown, file: string): string[] {
  if (!Array.isArray(json) || json.length === 0 || !json.every((name) => typeof name === 'string')) {
    throw new DataFormatError(file, null, 'expected a non-empty JSON array of label names');
  }
  return json as string[];
}
