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
      parseTableClassification(read('reviews.csv'), 'reviews.csv', {
        delimiter: ',',
        textColumn: 'review',
        labelColumn: 'rating',
      }),
    ).toThrow("reviews.csv:1: missing column 'rating' (header: id, review, stars)");
    expect(() => parseTableClassification('a\tb\tc\n', 'x.tsv', { delimiter: '\t' })).toThrow(
      'x.tsv:1: expected 2 tab-separated (text, label; no header) fields, got 3',
    );
  });

  it('recognises the usual synonyms for the text and label columns', () => {
    const dataset = parseTableClassification('sentence,label\nfine film,1\nawful,0\n', 's.csv', {
      delimiter: ',',
    });
    expect(dataset.examples).toEqual([
      { text: 'fine film', label: 1 },
      { text: 'awful', label: 0 },
    ]);
    const reviews = parseTableClassification(read('reviews.csv'), 'reviews.csv', { delimiter: ',' });
    expect(reviews.examples[0]?.text).toBe('Great soup, friendly staff.');
  });

  it('refuses a header it does not understand instead of reading it as an example', () => {
    // Header `foo,bar` once became a data row and an invented class "bar".
    const file = 'foo,bar\ngood,pos\nbad,neg\nmeh,neg\n';
    expect(() => parseTableClassification(file, 'f.csv', { delimiter: ',' })).toThrow(
      'f.csv:1: the first row (foo, bar) looks like a header, but names no text or label column: name them, e.g. csv:f.csv?text=foo&label=bar',
    );
    // Named as the message says, the same file reads.
    const named = parseTableClassification(file, 'f.csv', {
      delimiter: ',',
      textColumn: 'foo',
      labelColumn: 'bar',
    });
    expect(named.examples).toHaveLength(3);
    expect(named.labelNames).toEqual(['neg', 'pos']);
    // A headerless file's first row carries a label that repeats below: it stays an example.
    const headerless = parseTableClassification('good,pos\nbad,neg\nfine,pos\n', 'h.csv', { delimiter: ',' });
    expect(headerless.examples).toHaveLength(3);
  });

  it('reads TSV as pandas writes it (quoted fields) and as GLUE writes it (bare quotes)', () => {
    const pandas = parseTableClassification('text\tlabel\n"a\tb ""quoted"""\t1\nplain\t0\n', 'p.tsv', {
      delimiter: '\t',
    });
    expect(pandas.examples[0]).toEqual({ text: 'a\tb "quoted"', label: 1 });
    const glue = parseTableClassification(
      'sentence\tlabel\n" the film "is fine\t1\nit "drags\t0\n',
      'g.tsv',
      {
        delimiter: '\t',
      },
    );
    expect(glue.examples.map(({ text }) => text)).toEqual(['" the film "is fine', 'it "drags']);
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
