import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import {
  DocumentLineReader,
  inferPretrainingFormat,
  type PretrainingFormat,
} from '../pretraining-documents.js';
import { utf8Chunks } from './utf8-text.js';

export interface ReadDocumentsOptions {
  /** The file's layout; `auto` (the default) infers it (see inferPretrainingFormat). */
  format?: PretrainingFormat | 'auto';
  textField?: string;
}

/**
 * The documents of one pretraining file, streamed line by line: memory holds one document at a time (a
 * `text` file is one document, so it is held whole).
 */
export async function* readDocuments(
  path: string,
  { format = 'auto', textField }: ReadDocumentsOptions = {},
): AsyncGenerator<string> {
  const resolved = format === 'auto' ? await detectPretrainingFormat(path) : format;
  const reader = new DocumentLineReader({
    format: resolved,
    file: path,
    ...(textField ? { textField } : {}),
  });
  const lines = createInterface({
    input: Readable.from(utf8Chunks(path)),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) yield* reader.push(line);
  yield* reader.finish();
}

/** inferPretrainingFormat on the file's name and its first 64 KiB. */
export async function detectPretrainingFormat(path: string): Promise<PretrainingFormat> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return inferPretrainingFormat(path, head.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}
