import { describe, expect, it } from 'vitest';
import { assignSplit, documentHash } from './document-split.js';

describe('assignSplit', () => {
  const documents = Array.from({ length: 10_000 }, (_, i) => `story number ${i}: once upon a time`);

  it('sends about valFraction of the documents to validation', () => {
    const val = documents.filter((text) => assignSplit(text, { valFraction: 0.1, seed: 0 }) === 'val').length;
    // Binomial(10,000, 0.1): mean 1,000, σ = 30; 150 is five σ.
    expect(Math.abs(val - 1000)).toBeLessThan(150);
  });

  it('depends on the text and the seed only, so duplicates share a side', () => {
    const rule = { valFraction: 0.5, seed: 42 };
    const sides = documents.slice(0, 200).map((text) => assignSplit(text, rule));
    expect(documents.slice(0, 200).map((text) => assignSplit(`${text}`, rule))).toEqual(sides);
    const reseeded = documents.slice(0, 200).map((text) => assignSplit(text, { ...rule, seed: 43 }));
    expect(reseeded).not.toEqual(sides);
  });

  it('keeps everything in train at fraction 0 and rejects fractions outside [0, 1)', () => {
    expect(documents.every((text) => assignSplit(text, { valFraction: 0, seed: 0 }) === 'train')).toBe(true);
    expect(() => assignSplit('x', { valFraction: 1, seed: 0 })).toThrow(
      /valFraction must be in \[0, 1\), got 1/,
    );
    expect(() => assignSplit('x', { valFraction: -0.1, seed: 0 })).toThrow(/valFraction/);
  });

  it('hashes to 32-bit unsigned integers that differ for one changed character', () => {
    const a = documentHash('hello', 0);
    expect(Number.isInteger(a) && a >= 0 && a < 2 ** 32).toBe(true);
    expect(documentHash('hellp', 0)).not.toBe(a);
  });
});
