import { describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../../test/shared-data.js';
import { UNLABELLED } from '../classification-dataset.js';
import { loadTask } from './load-task.js';

describe('loadTask', () => {
  it('loads every file task from a task:path spec', async () => {
    const labels = async (spec: string, columns = {}) =>
      (await loadTask(spec, columns)).examples.map(({ label }) => label);
    expect(await labels(`sst2:${fixture('sst2-dev.tsv')}`)).toEqual([1, 0, 1, 0, 1]);
    expect(await labels(`sst2:${fixture('sst2-train.parquet')}`)).toEqual([1, 0, 1, 0, 1]);
    expect(await labels(`ag_news:${fixture('ag_news.csv')}`)).toEqual([2, 1, 0, 3]);
    expect(await labels(`ag_news:${fixture('ag_news-test.parquet')}`)).toEqual([0, 1, 2, 3]);
    expect(await labels(`uci:${fixture('uci.txt')}`)).toEqual([0, 1, 1]);
    expect(await labels(`tsv:${fixture('reviews.tsv')}`)).toEqual([1, 0, 1]);
    expect(
      await labels(`csv:${fixture('reviews.csv')}`, { textColumn: 'review', labelColumn: 'stars' }),
    ).toEqual([1, 0, 1]);
    expect(await labels(`jsonl:${fixture('reviews.jsonl')}`, { labelNames: ['neg', 'pos'] })).toEqual([
      1, 0, 0,
    ]);
    expect(await labels(`parquet:${fixture('ag_news-test.parquet')}`)).toEqual([0, 1, 2, 3]);
    const test = await loadTask(`sst2:${fixture('sst2-test.parquet')}`);
    expect(test.labelled).toBe(false);
    expect(test.examples[0]).toEqual({
      text: 'a film that knows exactly what it wants to be',
      label: UNLABELLED,
    });
  });

  it('reads the columns a spec names', async () => {
    const dataset = await loadTask(`csv:${fixture('reviews.csv')}?text=review&label=stars`);
    expect(dataset.examples.map(({ label }) => label)).toEqual([1, 0, 1]);
    await expect(loadTask(`csv:${fixture('reviews.csv')}?text=review&label=rating`)).rejects.toThrow(
      "missing column 'rating' (header: id, review, stars)",
    );
  });

  it('finds the label mapping beside a minllama file', async () => {
    const dataset = await loadTask(`minllama:${fixture('tiny-train.txt')}`);
    expect(dataset.labelNames).toEqual(['bad', 'ok', 'good']);
    expect(dataset.source).toBe(fixture('tiny-train.txt'));
  });

  it('names a missing file and a Brown split it does not know', async () => {
    await expect(loadTask('sst2:/no/such/dev.tsv')).rejects.toThrow(
      /^\/no\/such\/dev\.tsv: cannot read: no such file or directory \(ENOENT\)$/,
    );
    await expect(loadTask('brown:test')).rejects.toThrow(
      "task spec 'brown:test': the Brown task takes a split, one of id-train, id-test, ood",
    );
  });
});

describe.skipIf(!hasSharedData('minllama-sst5-cfimdb'))(
  `loadTask on shared files${needs('minllama-sst5-cfimdb')}`,
  () => {
    it('reads SST-5 with the names from sst-label-mapping.json', async () => {
      const dataset = await loadTask(`minllama:${sharedData('minllama-sst5-cfimdb/sst-test.txt')}`);
      expect(dataset.labelNames).toEqual(['awful', 'bad', 'average', 'good', 'excellent']);
      expect(dataset.examples).toHaveLength(2210);
    });
  },
);
