/**
 * A problem with the contents of a data file. The message starts with `file:line:` (or `file:` when no line
 * applies), as compilers print it, so an editor or a terminal can jump to the row: `dev.tsv:17: expected 2
 * tab-separated fields, got 3`.
 */
export class DataFormatError extends Error {
  override name = 'DataFormatError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
  }
}
