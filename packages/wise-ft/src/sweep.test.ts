import { describe, expect, it } from 'vitest';
import { chooseAlpha, DEFAULT_ALPHAS, parseAlphas, sweepAlphas } from './index.js';

describe('α sweeps', () => {
  it('has WiSE-FT’s default grid', () => {
    expect(DEFAULT_ALPHAS).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it('parses a grid and names what is wrong with a bad one', () => {
    expect(parseAlphas('0, 0.25,1')).toEqual([0, 0.25, 1]);
    expect(() => parseAlphas('0,,1')).toThrow(
      "--alphas: expected comma-separated numbers such as 0,0.5,1, got '0,,1'",
    );
    expect(() => parseAlphas('0,half')).toThrow("--alphas: 'half' is not a number");
    expect(() => parseAlphas('0.5,0.5')).toThrow('--alphas: 0.5 is given twice');
  });

  it('evaluates every α in order and chooses on in-domain validation, ties to the smaller α', async () => {
    const seen: number[] = [];
    const { results, chosen } = await sweepAlphas(
      [0, 0.5, 1, 0.7],
      async (alpha) => ({
        selection: alpha === 0 ? 0.6 : alpha >= 0.7 ? 0.8 : 0.7,
        scores: { ood: 1 - alpha },
      }),
      { onAlpha: (result) => seen.push(result.alpha) },
    );
    expect(seen).toEqual([0, 0.5, 1, 0.7]);
    expect(results.map((r) => r.scores.ood)).toEqual([1, 0.5, 0, 1 - 0.7]);
    expect(chosen.alpha).toBe(0.7);
    expect(() => chooseAlpha([])).toThrow('chooseAlpha: no results');
  });
});
