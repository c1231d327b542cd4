import { parseJsonlLine, stringField } from './jsonl.js';
import { END_OF_TEXT, TinyStoriesSplitter } from './tinystories.js';

/**
 * How a pretraining file holds its documents:
 * - `text`: the whole file is one document;
 * - `jsonl`: one JSON object per line, the document in a string field (`text` unless told);
 * - `tinystories`: documents separated by `<|endoftext|>` (TinyStoriesV2, GPT-2-style dumps).
 */
export type PretrainingFormat = 'text' | 'jsonl' | 'tinystories';

export const PRETRAINING_FORMATS: readonly PretrainingFormat[] = ['text', 'jsonl', 'tinystories'];

export interface DocumentParseOptions {
  format: PretrainingFormat;
  /** Field holding the text in JSONL (default `text`). */
  textField?: string;
  /** Name used in error messages (usually the file's path). */
  file?: string;
}

/**
 * Reads documents line by line, so that the node reader can stream a file of any size through the same
 * rules that `parseDocuments` applies to a string. Documents are trimmed and empty ones dropped.
 */
export class DocumentLineReader {
  private readonly splitter = new TinyStoriesSplitter();
  private readonly wholeFile: string[] = [];
  private lineNumber = 0;

  constructor(private readonly options: DocumentParseOptions) {}

  push(line: string): string[] {
    this.lineNumber++;
    const { format, textField = 'text', file = '<input>' } = this.options;
    if (format === 'tinystories') return this.splitter.push(line);
    if (format === 'text') {
      this.wholeFile.push(line);
      return [];
    }
    const record = parseJsonlLine(line, file, this.lineNumber);
    if (!record) return [];
    const text = stringField(record, textField, file).trim();
    return text === '' ? [] : [text];
  }

  finish(): string[] {
    if (this.options.format === 'tinystories') return this.splitter.finish();
    if (this.options.format === 'text') {
      const text = this.wholeFile.join('\n').trim();
      return text === '' ? [] : [text];
    }
    return [];
  }
}

/** A whole file's text → its documents. */
export function parseDocuments(text: string, options: DocumentParseOptions): string[] {
  const reader = new DocumentLineReader(options);
  const documents: string[] = [];
  for (const line of text.split(/\r?\n/)) documents.push(...reader.push(line));
  documents.push(...reader.finish());
  return documents;
}

/**
 * The format a file most likely has, when none is given: `.jsonl`/`.ndjson` → jsonl; text with an
 * `<|endoftext|>` in its first bytes (`head`) → tinystories; anything else → text.
 */
export function inferPretrainingFormat(fileName: string, head: string): PretrainingFormat {
  if (/\.(jsonl|ndjson)$/i.test(fileName)) return 'jsonl';
  return head.includes(END_OF_TEXT) ? 'tinystories' : 'text';
}
