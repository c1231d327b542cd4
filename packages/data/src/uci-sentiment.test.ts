import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../test/shared-data.js';
import { parseUciSentiment } from './uci-sentiment.js';

describe('parseUciSentiment', () => {
  it('reads sentence<TAB>label without header or quoting', () => {
    const dataset = parseUciSentiment(readFileSync(fixture('uci.txt'), 'utf8'), 'uci.txt');
    expect(dataset.examples).toEqual([
      { text: 'The battery died in a day.', label: 0 },
      { text: 'Sound is "crisp" and clear.', label: 1 },
      { text: 'Works as described.', label: 1 },
    ]);
    expect(() => parseUciSentiment('fine\n', 'uci.txt')).toThrow(
      'uci.txt:1: expected 2 tab-separated fields, got 1',
    );
  });
});

describe.skipIf(!hasSharedData('uci-sentiment'))(`UCI sentiment files${needs('uci-sentiment')}`, () => {
  it('reads all 1,000 rows of each file, 500 per class (quoting readers find 748 in imdb)', () => {
    for (const name of ['amazon_cells_labelled.txt', 'imdb_labelled.txt', 'yelp_labelled.txt']) {
      const dataset = parseUciSentiment(readFileSync(sharedData(`uci-sentiment/${name}`), 'utf8'), name);
      expect(dataset.examples).toHaveLength(1000);
      expect(dataset.examples.filter(({ label }) => label === 1)).toHaveLength(500);
    }
  });
});
