import { describe, expect, it } from 'vitest';
import { parseTaskSpec } from './task-spec.js';

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
});
