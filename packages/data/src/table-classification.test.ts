import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../test/shared-data.js';
import { parseJsonlClassification } from './jsonl-classification.js';
import { parseTableClassification } from './table-classification.js';

const read = (name: string) => readFileSync(fixture(name), 'utf8');

describe('parseTableClassification', () => {
  it('finds named columns in a quoted CSV and infers sorted label names', () => {
    const dataset = parseTableClassification(read('reviews.csv'), 'reviews.csv', {
      delimiter: ',',
      textColumn: 'review',
      labelColumn: 'stars',
    });
    expect(dataset.labelNames).toEqual(['neg', 'pos']);
    expect(dataset.examples).toEqual([
      { text: 'Great soup, friendly staff.', label: 1 },
      { text: 'Cold fries.', label: 0 },
      { text: 'Would come back "any day".', label: 1 },
    ]);
  });

  it('reads a headerless text<TAB>label file, with label names given in order', () => {
    const dataset = parseTableClassification(read('reviews.tsv'), 'reviews.tsv', {
      delimiter: '\t',
      labelNames: ['pos', 'neg'],
    });
    expect(dataset.examples.map(({ label }) => label)).toEqual([0, 1, 0]);
    expect(dataset.labelNames).toEqual(['pos', 'neg']);
  });

  it('names a missing column with the header it found', () => {
    expect(() =>
      parseTableClassification(read('reviews.csv'), 'reviews.csv', { delimiter: ',', textColumn: 'review' }),
    ).toThrow("reviews.csv:1: missing column 'label' (header: id, review, stars)");
    expect(() => parseTableClassification('a\tb\tc\n', 'x.tsv', { delimiter: '\t' })).toThrow(
      'x.tsv:1: expected 2 tab-separated (text, label; no header) fields, got 3',
    );
  });
});

describe('parseJsonlClassification', () => {
  it('accepts labels as names or indices', () => {
    const dataset = parseJsonlClassification(read('reviews.jsonl'), 'reviews.jsonl', {
      labelNames: ['neg', 'pos'],
    });
    expect(dataset.examples.map(({ label }) => label)).toEqual([1, 0, 0]);
    expect(parseJsonlClassification(read('reviews.jsonl'), 'r').labelNames).toEqual(['0', 'neg', 'pos']);
  });

  it('names the line of a missing field', () => {
    expect(() =>
      parseJsonlClassification(read('reviews.jsonl'), 'reviews.jsonl', { labelColumn: 'stars' }),
    ).toThrow("reviews.jsonl:1: missing field 'stars' (fields: text, label)");
    expect(() => parseJsonlClassification('\n', 'empty.jsonl')).toThrow(
      'empty.jsonl: no examples: the dataset is empty',
    );
  });
});
