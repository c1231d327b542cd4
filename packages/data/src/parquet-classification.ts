import type { FileMetaData } from 'hyparquet';
import {
  type ClassificationDataset,
  nonEmptyDataset,
  resolveLabels,
  UNLABELLED,
} from './classification-dataset.js';
import { DataFormatError } from './data-format-error.js';
import type { ColumnOptions } from './table-classification.js';

/**
 * A Parquet file of texts and labels, the format Hugging Face datasets are stored in, read by hyparquet
 * (pure JavaScript; snappy-compressed files, the `datasets` library's default, need nothing more).
 *
 * Label names come from `labelNames`, else from the `huggingface` key of the file's metadata, where
 * `datasets` records a ClassLabel's names (`info.features.<label>.names`), else are inferred. A split whose
 * labels are all -1 (how Hugging Face stores the hidden labels of GLUE's test sets) comes back unlabelled.
 */
export async function parseParquetClassification(
  bytes: ArrayBuffer | Uint8Array,
  file: string,
  { textColumn = 'text', labelColumn = 'label', labelNames }: ColumnOptions = {},
): Promise<ClassificationDataset> {
  // Loaded on first use, so that only callers who read Parquet load it. hyparquet is ESM-only: the CJS build
  // turns this into a lazy require(), which needs Node's require(esm) (20.19+); the ESM build has no limit.
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const buffer = toArrayBuffer(bytes);
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new DataFormatError(file, null, `not a readable Parquet file: ${(error as Error).message}`);
  }
  const columns = metadata.schema.slice(1).map((element) => element.name);
  for (const column of [textColumn, labelColumn]) {
    if (!columns.includes(column)) {
      throw new DataFormatError(file, null, `missing column '${column}' (columns: ${columns.join(', ')})`);
    }
  }
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({
      file: buffer,
      metadata,
      columns: [textColumn, labelColumn],
      rowFormat: 'object',
    });
  } catch (error) {
    throw new DataFormatError(file, null, `cannot decode: ${(error as Error).message}`);
  }

  const raw = rows.map((row, index) => {
    const value = row[labelColumn];
    const label = typeof value === 'bigint' ? Number(value) : value; // INT64 columns decode to bigint
    if (typeof label !== 'number' && typeof label !== 'string') {
      throw new DataFormatError(
        file,
        null,
        `row ${index + 1}: ${labelColumn} is ${label === null ? 'null' : typeof label}`,
      );
    }
    return { value: label, line: index + 1 };
  });
  const texts = rows.map((row, index) => {
    const text = row[textColumn];
    if (typeof text !== 'string')
      throw new DataFormatError(file, null, `row ${index + 1}: ${textColumn} is not a string`);
    return text.trim();
  });
  const names = labelNames ?? hfClassLabelNames(metadata, labelColumn) ?? undefined;

  if (raw.length > 0 && raw.every(({ value }) => value === -1)) {
    const examples = texts.map((text) => ({ text, label: UNLABELLED }));
    return { examples, labelNames: names ? [...names] : [], source: file, labelled: false };
  }
  let resolved: { labels: number[]; labelNames: string[] };
  try {
    resolved = resolveLabels(raw, file, names);
  } catch (error) {
    // resolveLabels says "file:line:", but a Parquet file has rows (numbered from 1 here), not lines.
    if (error instanceof DataFormatError && error.line !== null) {
      throw new DataFormatError(file, null, `row ${error.line}: ${error.problem}`);
    }
    throw error;
  }
  const examples = texts.map((text, i) => ({ text, label: resolved.labels[i]! }));
  return nonEmptyDataset({ examples, labelNames: resolved.labelNames, source: file, labelled: true });
}

/** The names of a Hugging Face ClassLabel column, from the file's `huggingface` metadata; null if absent. */
export function hfClassLabelNames(metadata: FileMetaData, column: string): string[] | null {
  const entry = metadata.key_value_metadata?.find(({ key }) => key === 'huggingface');
  if (!entry?.value) return null;
  try {
    const info = JSON.parse(entry.value) as { info?: { features?: Record<string, { names?: unknown }> } };
    const names = info.info?.features?.[column]?.names;
    return Array.isArray(names) && names.every((name) => typeof name === 'string') ? names : null;
  } catch {
    return null; // metadata written by another tool; label names are then inferred
  }
}

function toArrayBuffer(bytes: ArrayBuffer | Uint8Array): ArrayBuffer {
  if (bytes instanceof ArrayBuffer) return bytes;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
