import { describe, expect, it } from 'vitest';
import {
  estimate,
  formatEstimate,
  majorityRate,
  outcomes,
  pairedDifference,
  singlePrediction,
} from './intervals.js';

/** n outcomes of which `right` are 1, spread evenly. */
function run(n: number, right: number): number[] {
  return Array.from({ length: n }, (_, i) =>
    Math.floor(((i + 1) * right) / n) > Math.floor((i * right) / n) ? 1 : 0,
  );
}

describe('estimate', () => {
  it('gives one run the accuracy with an interval as wide as the normal approximation says', () => {
    const value = estimate([run(1000, 700)], { resamples: 4000 });
    expect(value.mean).toBeCloseTo(0.7, 12);
    expect(value.seeds).toBe(1);
    const halfWidth = 1.96 * Math.sqrt((0.7 * 0.3) / 1000); // 0.0284
    expect(value.low).toBeGreaterThan(0.7 - halfWidth - 0.006);
    expect(value.low).toBeLessThan(0.7 - halfWidth + 0.006);
    expect(value.high).toBeGreaterThan(0.7 + halfWidth - 0.006);
    expect(value.high).toBeLessThan(0.7 + halfWidth + 0.006);
  });

  it('is the same for the same seed and narrows as the set grows', () => {
    const small = estimate([run(100, 70)]);
    expect(estimate([run(100, 70)])).toEqual(small);
    const large = estimate([run(10_000, 7000)]);
    expect(large.high - large.low).toBeLessThan((small.high - small.low) / 5);
  });

  it('widens with the spread between seeds, which resampling examples alone would hide', () => {
    const seeds = [run(2000, 1000), run(2000, 1400), run(2000, 1800)];
    const value = estimate(seeds);
    expect(value.mean).toBeCloseTo(0.7, 12);
    expect(value.seeds).toBe(3);
    expect(value.low).toBeLessThan(0.62);
    expect(value.high).toBeGreaterThan(0.78);
    const oneSeedWidth = estimate([run(2000, 1400)]);
    expect(value.high - value.low).toBeGreaterThan(4 * (oneSeedWidth.high - oneSeedWidth.low));
  });

  it('averages sets, each counting once, as an out-of-domain mean does', () => {
    const value = estimate([[run(100, 50)], [run(1000, 900)]]);
    expect(value.mean).toBeCloseTo(0.7, 12);
    expect(value.low).toBeLessThan(0.7);
    expect(value.high).toBeGreaterThan(0.7);
  });

  it('refuses runs of different lengths, sets of different run counts and empty input', () => {
    expect(() => estimate([run(10, 5), run(11, 5)])).toThrow(/different numbers of examples/);
    expect(() => estimate([[run(10, 5)], [run(10, 5), run(10, 5)]])).toThrow(/set 1 has 2 runs/);
    expect(() => estimate([])).toThrow(/no outcomes/);
    expect(() => estimate([run(10, 5)], { level: 1 })).toThrow(/level/);
  });
});

describe('pairedDifference', () => {
  it('is exactly zero between a model and itself', () => {
    const a = [run(500, 300)];
    expect(pairedDifference(a, a)).toEqual({ mean: 0, low: 0, high: 0, seeds: 1 });
  });

  it('sees a small difference on the same examples that two separate intervals would not', () => {
    const b = run(1000, 700);
    const a = b.map((value, i) => (value === 0 && i % 10 === 0 && i < 400 ? 1 : value)); // 30 more right
    const rightMore = a.reduce((sum, value) => sum + value, 0) - 700;
    const difference = pairedDifference([a], [b]);
    expect(difference.mean).toBeCloseTo(rightMore / 1000, 12);
    expect(difference.low).toBeGreaterThan(0);
    const ea = estimate([a]);
    const eb = estimate([b]);
    expect(ea.low).toBeLessThan(eb.high); // the separate intervals overlap
  });

  it('pairs runs of the same seeds and draws them independently otherwise', () => {
    const seeds = [run(400, 200), run(400, 300), run(400, 360)];
    const shifted = seeds.map((values) => values.map((value, i) => (i < 20 ? 1 : value)));
    const paired = pairedDifference(shifted, seeds);
    expect(paired.low).toBeGreaterThan(0); // the seed spread cancels
    const unpaired = pairedDifference(shifted, seeds.slice(0, 2));
    expect(unpaired.high - unpaired.low).toBeGreaterThan(3 * (paired.high - paired.low));
  });

  it('refuses sets of different sizes', () => {
    expect(() => pairedDifference([run(10, 5)], [run(12, 5)])).toThrow(/same examples/);
  });
});

describe('helpers', () => {
  it('outcomes, majorityRate and singlePrediction', () => {
    expect(outcomes([0, 1, 2], [0, 2, 2])).toEqual([1, 0, 1]);
    expect(() => outcomes([0], [0, 1])).toThrow(/1 labels but 2 predictions/);
    expect(majorityRate([0, 1, 1, 2])).toBe(0.5);
    expect(singlePrediction([2, 2, 2])).toBe(2);
    expect(singlePrediction([2, 0])).toBeNull();
    expect(formatEstimate({ mean: 0.7, low: 0.65, high: 0.75, seeds: 3 })).toBe(
      '0.700 [0.650, 0.750] (3 seeds)',
    );
  });
});
