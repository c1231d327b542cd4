/** The token TinyStoriesV2 (Eldan & Li 2023) and GPT-2-style corpora put between documents. */
export const END_OF_TEXT = '<|endoftext|>';

/**
 * Cuts a line stream into documents at every `<|endoftext|>` (usually a line of its own, as in
 * TinyStoriesV2-GPT4-train.txt, but one inside a line cuts there too). Feed lines without their newline;
 * each document comes back trimmed (llama2.c's pretokenize strips every story), and empty ones are dropped.
 * Streaming, so a multi-gigabyte file never has to be one string.
 */
export class TinyStoriesSplitter {
  private lines: string[] = [];

  /** Adds one line; returns the documents it completed (none, one, or several for a line with many). */
  push(line: string): string[] {
    const parts = line.split(END_OF_TEXT);
    const done: string[] = [];
    for (let i = 0; i < parts.length - 1; i++) {
      this.lines.push(parts[i]!);
      this.flushInto(done);
    }
    this.lines.push(parts[parts.length - 1]!);
    return done;
  }

  /** The text after the last separator (a file need not end with one). */
  finish(): string[] {
    const done: string[] = [];
    this.flushInto(done);
    return done;
  }

  private flushInto(done: string[]): void {
    const text = this.lines.join('\n').trim();
    this.lines = [];
    if (text !== '') done.push(text);
  }
}

/** A whole TinyStories-style file → its documents. */
export function splitTinyStories(text: string): string[] {
  const splitter = new TinyStoriesSplitter();
  const documents: string[] = [];
  for (const line of text.split(/\r?\n/)) documents.push(...splitter.push(line));
  documents.push(...splitter.finish());
  return documents;
}
