import { describe, expect, it } from 'vitest';
import { resolveLabels } from './classification-dataset.js';

const raw = (...values: (string | number)[]) => values.map((value, i) => ({ value, line: i + 2 }));

describe('resolveLabels', () => {
  it('maps names and in-range integers onto given label names', () => {
    expect(resolveLabels(raw('neg', 'pos', 1, '0'), 'f.csv', ['neg', 'pos'])).toEqual({
      labels: [0, 1, 1, 0],
      labelNames: ['neg', 'pos'],
    });
  });

  it('names the file and line of an unknown label, and lists the labels known', () => {
    expect(() => resolveLabels(raw('pos', 'meh'), 'f.csv', ['neg', 'pos'])).toThrow(
      'f.csv:3: unknown label "meh" (labels: 0=neg, 1=pos)',
    );
    expect(() => resolveLabels(raw(2), 'f.csv', ['neg', 'pos'])).toThrow('f.csv:2: unknown label 2');
  });

  it('infers names: integers keep their value, anything else is sorted', () => {
    expect(resolveLabels(raw('2', 0, '2'), 'f')).toEqual({ labels: [2, 0, 2], labelNames: ['0', '1', '2'] });
    expect(resolveLabels(raw('sports', 'business', 'world', 'business'), 'f')).toEqual({
      labels: [1, 0, 2, 0],
      labelNames: ['business', 'sports', 'world'],
    });
  });
});
