// csv-parse's sync build for Node calls Buffer; browsers get its self-contained browser build (package.json
// "imports": #csv-parse-sync resolves by the bundler's `browser` condition).
import { parse } from '#csv-parse-sync';
import { DataFormatError } from './data-format-error.js';

/** A parsed row and the line it starts on (1-based). */
export interface DelimitedRow {
  fields: string[];
  line: number;
}

export interface DelimitedOptions {
  delimiter: ',' | '\t';
  /**
   * Whether `"` quotes fields (RFC 4180, `""` for a quote inside). True for CSV; false for the TSV files of
   * GLUE and UCI, whose sentences contain bare quotes (`" the film "`) that a quoting reader would pair up
   * across rows (the UCI readme warns that naive readers find 748 of imdb's 1,000 rows).
   */
  quoted: boolean;
}

/**
 * Rows of a CSV/TSV text, parsed by csv-parse (https://csv.js.org/parse/). Rows may differ in length here;
 * each format checks its own field count so that the error can name the file, line and expected layout.
 * Blank lines are skipped and a UTF-8 byte-order mark is dropped.
 */
export function parseDelimited(
  text: string,
  file: string,
  { delimiter, quoted }: DelimitedOptions,
): DelimitedRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse types `info: true` results as string[][]; at run time each is { record, info }.
    records = parse(text, {
      delimiter,
      quote: quoted ? '"' : false,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      info: true,
    }) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    throw new DataFormatError(file, typeof line === 'number' ? line : null, (error as Error).message);
  }
  // csv-parse reports the line a record ends on; a quoted field may hold newlines, so count back over them.
  return records.map(({ record, info }) => ({
    fields: record,
    line: info.lines - record.reduce((newlines, field) => newlines + countNewlines(field), 0),
  }));
}

/** Throws unless `row` has `count` fields, naming the file, line, and the layout expected. */
export function expectFieldCount(row: DelimitedRow, count: number, file: string, layout: string): void {
  if (row.fields.length !== count) {
    throw new DataFormatError(file, row.line, `expected ${count} ${layout} fields, got ${row.fields.length}`);
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
