import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../test/shared-data.js';
import { UNLABELLED } from './classification-dataset.js';
import { parseSst2 } from './sst2.js';

const load = (path: string, name = path) => parseSst2(readFileSync(path, 'utf8'), name);

describe('parseSst2', () => {
  it('reads sentence<TAB>label under its header, quotes and all', () => {
    const dataset = load(fixture('sst2-dev.tsv'), 'dev.tsv');
    expect(dataset.labelNames).toEqual(['negative', 'positive']);
    expect(dataset.labelled).toBe(true);
    expect(dataset.examples.map(({ label }) => label)).toEqual([1, 0, 1, 0, 1]);
    expect(dataset.examples[2]!.text).toBe('she says " yes " and means it');
  });

  it('reads the unlabelled test layout (index<TAB>sentence) as unlabelled', () => {
    const dataset = load(fixture('sst2-test.tsv'));
    expect(dataset.labelled).toBe(false);
    expect(dataset.examples).toEqual([
      { text: 'a film that knows what it wants', label: UNLABELLED },
      { text: 'two hours I will not get back', label: UNLABELLED },
    ]);
  });

  it('names the file and line of a malformed row, an unknown label, and an empty file', () => {
    expect(() => load(fixture('sst2-bad.tsv'), 'dev.tsv')).toThrow(
      'dev.tsv:4: expected 2 tab-separated fields, got 3',
    );
    expect(() => load(fixture('sst2-bad-label.tsv'), 'dev.tsv')).toThrow(
      'dev.tsv:3: unknown label "2" (labels: 0=negative, 1=positive)',
    );
    expect(() => load(fixture('sst2-empty.tsv'), 'dev.tsv')).toThrow(
      'dev.tsv: no examples: the dataset is empty',
    );
    expect(() => parseSst2('text\tlabel\nfine\t1\n', 'x.tsv')).toThrow(
      /x\.tsv:1: expected the header 'sentence<TAB>label'/,
    );
  });
});

describe.skipIf(!hasSharedData('sst2'))(`GLUE SST-2 files${needs('sst2')}`, () => {
  it('has the row and label counts of its PROVENANCE (train 67,349: 29,780 / 37,569)', () => {
    const train = load(sharedData('sst2/train.tsv'));
    expect(train.examples).toHaveLength(67_349);
    expect(train.examples.filter(({ label }) => label === 0)).toHaveLength(29_780);
    expect(load(sharedData('sst2/dev.tsv')).examples).toHaveLength(872);
    const test = load(sharedData('sst2/test.tsv'));
    expect(test.labelled).toBe(false);
    expect(test.examples).toHaveLength(1821);
    expect(test.examples[0]!.text).toBe('uneasy mishmash of styles and genres .');
  });
});
