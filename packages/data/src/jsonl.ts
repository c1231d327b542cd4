import { DataFormatError } from './data-format-error.js';

/** One JSON object per line (https://jsonlines.org); blank lines are skipped. */
export interface JsonlRecord {
  line: number; // 1-based, for error messages
  value: Record<string, unknown>;
}

/** Parses one JSONL line; null for a blank one. `file` and `line` only go into error messages. */
export function parseJsonlLine(text: string, file: string, line: number): JsonlRecord | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(file, line, `invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataFormatError(file, line, `expected a JSON object, got ${describeJson(value)}`);
  }
  return { line, value: value as Record<string, unknown> };
}

export function parseJsonl(text: string, file: string): JsonlRecord[] {
  const records: JsonlRecord[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    const record = parseJsonlLine(lineText, file, index + 1);
    if (record) records.push(record);
  });
  return records;
}

/** The string in `field` of a record, or an error naming the file, line and field. */
export function stringField(record: JsonlRecord, field: string, file: string): string {
  const value = record.value[field];
  if (value === undefined) {
    const fields = Object.keys(record.value).join(', ') || 'none';
    throw new DataFormatError(file, record.line, `missing field '${field}' (fields: ${fields})`);
  }
  if (typeof value !== 'string') {
    throw new DataFormatError(
      file,
      record.line,
      `field '${field}' must be a string, got ${describeJson(value)}`,
    );
  }
  return value;
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
