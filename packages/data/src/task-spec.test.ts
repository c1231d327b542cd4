import { describe, expect, it } from 'vitest';
import { formatTaskSpec, parseTaskSpec } from './task-spec.js';

describe('parseTaskSpec', () => {
  it('splits at the first colon', () => {
    expect(parseTaskSpec('sst2:../shared/data/sst2/dev.tsv')).toEqual({
      task: 'sst2',
      path: '../shared/data/sst2/dev.tsv',
    });
    expect(parseTaskSpec('csv:C:\\data\\x.csv')).toEqual({ task: 'csv', path: 'C:\\data\\x.csv' });
    expect(parseTaskSpec('brown:ood')).toEqual({ task: 'brown', path: 'ood' });
  });

  it('names the tasks it knows when given another or no path', () => {
    expect(() => parseTaskSpec('imdb:x.csv')).toThrow(
      /unknown task 'imdb' \(tasks: sst2, ag_news, minllama, uci, tsv, csv, jsonl, parquet, brown\)/,
    );
    expect(() => parseTaskSpec('dev.tsv')).toThrow(/expected TASK:PATH/);
    expect(() => parseTaskSpec('sst2:')).toThrow(/expected TASK:PATH/);
  });
  it('takes the columns of a generic task after the path and writes them back', () => {
    const spec = parseTaskSpec('csv:reviews.csv?text=review&label=stars');
    expect(spec).toEqual({ task: 'csv', path: 'reviews.csv', columns: { text: 'review', label: 'stars' } });
    expect(formatTaskSpec(spec)).toBe('csv:reviews.csv?text=review&label=stars');
    expect(parseTaskSpec('jsonl:x.jsonl?label=y').columns).toEqual({ label: 'y' });
    expect(formatTaskSpec({ task: 'uci', path: 'a?b' })).toBe('uci:a?b');
    // Only a trailing query of text/label pairs is columns; another '?' stays part of the path.
    expect(parseTaskSpec('csv:what?.csv').path).toBe('what?.csv');
    expect(() => parseTaskSpec('sst2:dev.tsv?text=a')).toThrow(
      "task spec 'sst2:dev.tsv?text=a': only tsv, csv, jsonl, parquet take columns (?text=…&label=…)",
    );
  });
});
