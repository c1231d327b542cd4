import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/shared-data.js';
import { parseDocuments } from '../pretraining-documents.js';
import { detectPretrainingFormat, readDocuments } from './read-documents.js';

async function collect(documents: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const document of documents) all.push(document);
  return all;
}

describe('readDocuments', () => {
  it('streams the documents parseDocuments finds in the whole file', async () => {
    for (const [name, format] of [
      ['stories.txt', 'tinystories'],
      ['corpus.jsonl', 'jsonl'],
      ['notes.txt', 'text'],
    ] as const) {
      expect(await detectPretrainingFormat(fixture(name))).toBe(format);
      expect(await collect(readDocuments(fixture(name)))).toEqual(
        parseDocuments(readFileSync(fixture(name), 'utf8'), { format }),
      );
    }
    expect(await collect(readDocuments(fixture('articles.jsonl'), { textField: 'body' }))).toHaveLength(2);
  });

  it('names the file and line of a bad record', async () => {
    await expect(collect(readDocuments(fixture('corpus-bad.jsonl')))).rejects.toThrow(
      /corpus-bad\.jsonl:2: invalid JSON/,
    );
  });
});
