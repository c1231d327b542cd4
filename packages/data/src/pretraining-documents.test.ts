import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../test/shared-data.js';
import { inferPretrainingFormat, parseDocuments } from './pretraining-documents.js';

const read = (name: string) => readFileSync(fixture(name), 'utf8');

describe('parseDocuments', () => {
  it('reads JSONL text fields, skipping blank lines and blank documents', () => {
    expect(parseDocuments(read('corpus.jsonl'), { format: 'jsonl' })).toEqual([
      'The first note is short.',
      'The second note has two sentences. This is the second.',
      'The fourth note mentions a café.',
    ]);
  });

  it('reads a configurable JSONL field', () => {
    expect(parseDocuments(read('articles.jsonl'), { format: 'jsonl', textField: 'body' })).toEqual([
      'Rivers carry water to the sea.',
      'Hills are smaller than mountains.',
    ]);
  });

  it('names the file, line and field of bad JSONL', () => {
    expect(() =>
      parseDocuments(read('corpus-bad.jsonl'), { format: 'jsonl', file: 'corpus-bad.jsonl' }),
    ).toThrow(/^corpus-bad\.jsonl:2: invalid JSON/);
    expect(() => parseDocuments(read('articles.jsonl'), { format: 'jsonl', file: 'articles.jsonl' })).toThrow(
      "articles.jsonl:1: missing field 'text' (fields: title, body)",
    );
    expect(() => parseDocuments('{"text": 3}', { format: 'jsonl', file: 'n.jsonl' })).toThrow(
      "n.jsonl:1: field 'text' must be a string, got number 3",
    );
    expect(() => parseDocuments('[1]', { format: 'jsonl', file: 'a.jsonl' })).toThrow(
      'a.jsonl:1: expected a JSON object, got an array',
    );
  });

  it('takes a text file as one document and TinyStories files as many', () => {
    expect(parseDocuments(read('notes.txt'), { format: 'text' })).toEqual([read('notes.txt').trim()]);
    expect(parseDocuments(read('stories.txt'), { format: 'tinystories' })).toHaveLength(5);
    expect(parseDocuments('  \n\n', { format: 'text' })).toEqual([]);
  });
});

describe('inferPretrainingFormat', () => {
  it('goes by extension, then by a separator in the head', () => {
    expect(inferPretrainingFormat('a/b.jsonl', '')).toBe('jsonl');
    expect(inferPretrainingFormat('stories.txt', 'One.\n<|endoftext|>\nTwo.')).toBe('tinystories');
    expect(inferPretrainingFormat('notes.txt', 'Just text.')).toBe('text');
  });
});
