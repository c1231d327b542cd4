import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../test/shared-data.js';
import { parseAgNews } from './ag-news.js';

const load = (path: string, name = path) => parseAgNews(readFileSync(path, 'utf8'), name);

describe('parseAgNews', () => {
  it('reads "class","title","description": label = class − 1, text = title + " " + description', () => {
    const dataset = load(fixture('ag_news.csv'));
    expect(dataset.labelNames).toEqual(['World', 'Sports', 'Business', 'Sci/Tech']);
    expect(dataset.examples.map(({ label }) => label)).toEqual([2, 1, 0, 3]);
    expect(dataset.examples[0]!.text).toBe(
      'Grain Prices Slip Wheat futures fell for a third day, as harvest forecasts rose.',
    );
    expect(dataset.examples[1]!.text).toBe(
      'Late Goal Lifts Rovers A header in stoppage time gave Rovers a 2-1 win over "the Reds".',
    );
    expect(dataset.examples[2]!.text).toContain('Monday\\to settle'); // kept as the source wrote it
  });

  it('reads the text,label layout, with or without its header', () => {
    const dataset = load(fixture('ag_news_hf.csv'));
    expect(dataset.examples).toEqual([
      { text: 'Grain Prices Slip Wheat futures fell for a third day, as harvest forecasts rose.', label: 2 },
      { text: 'Late Goal Lifts Rovers A header in stoppage time gave Rovers a 2-1 win.', label: 1 },
    ]);
    expect(parseAgNews('Some text,3\n', 'x.csv').examples).toEqual([{ text: 'Some text', label: 3 }]);
  });

  it('names the file and line of a class outside 1–4 and of a short row', () => {
    expect(() => load(fixture('ag_news-bad-class.csv'), 'train.csv')).toThrow(
      'train.csv:2: unknown class "5" (classes: 1=World, 2=Sports, 3=Business, 4=Sci/Tech)',
    );
    expect(() => parseAgNews('"1","a","b"\n"2","c"\n', 'x.csv')).toThrow(
      'x.csv:2: expected 3 comma-separated fields, got 2',
    );
    expect(() => parseAgNews('"1","a","b\n', 'x.csv')).toThrow(/^x\.csv:1: Quote Not Closed/);
  });
});

describe.skipIf(!hasSharedData('ag_news'))(`AG News files${needs('ag_news')}`, () => {
  it('reads all 7,600 test rows, 1,900 per class as the readme says', () => {
    const test = load(sharedData('ag_news/test.csv'));
    expect(test.examples).toHaveLength(7600);
    for (let label = 0; label < 4; label++) {
      expect(test.examples.filter((example) => example.label === label)).toHaveLength(1900);
    }
  });

  it('builds the same text and label as the Hugging Face copy, for articles in both files', () => {
    const original = load(sharedData('ag_news/train_head581.csv'));
    const hf = load(sharedData('ag_news/train_sample5000_hf.csv'));
    expect(hf.examples).toHaveLength(5000);
    const hfLabel = new Map(hf.examples.map(({ text, label }) => [text, label]));
    const shared = original.examples.filter(({ text }) => hfLabel.has(text));
    // 581 rows against a 5,000-of-120,000 sample: about 24 expected in both if the texts are built alike.
    expect(shared.length).toBeGreaterThan(5);
    // AG News files some articles twice under different classes; in these two files exactly one such pair
    // meets ("Government Spending Up Sharply Locally": Business in the head, Sci/Tech in the sample).
    const disagreeing = shared.filter(({ text, label }) => hfLabel.get(text) !== label);
    expect(disagreeing.map(({ text }) => text.slice(0, 38))).toEqual([
      'Government Spending Up Sharply Locally',
    ]);
  });
});
