import { describe, expect, it } from 'vitest';
import { balancedSample, combineSeeds, permutation, seededRandom, shuffle } from './shuffle.js';

describe('seededRandom', () => {
  it('repeats for one seed, differs between seeds, and stays in [0, 1) with mean ≈ 1/2', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const draws = Array.from({ length: 20_000 }, () => a());
    expect(Array.from({ length: 20_000 }, () => b())).toEqual(draws);
    expect(c()).not.toBe(draws[0]);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    // The mean of n uniforms has standard deviation 1/sqrt(12 n) ≈ 0.002: 0.01 is five of them.
    expect(Math.abs(draws.reduce((sum, x) => sum + x, 0) / draws.length - 0.5)).toBeLessThan(0.01);
  });
});

describe('permutation and shuffle', () => {
  it('is a permutation, the same for one seed, another for another seed', () => {
    const order = permutation(1000, 3);
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(permutation(1000, 3)).toEqual(order);
    expect(permutation(1000, 4)).not.toEqual(order);
  });

  it('moves every item to every place about equally often (Fisher–Yates is unbiased)', () => {
    // 3 items, 6 orders: over 6,000 seeds each order should appear ~1,000 times (σ ≈ 29).
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const key = shuffle(['a', 'b', 'c'], seed).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('leaves its input alone', () => {
    const items = [1, 2, 3, 4, 5];
    shuffle(items, 1);
    expect(items).toEqual([1, 2, 3, 4, 5]);
  });

  it('combineSeeds gives different seeds for different epochs', () => {
    const seeds = new Set(Array.from({ length: 100 }, (_, epoch) => combineSeeds(0, epoch)));
    expect(seeds.size).toBe(100);
  });
});

describe('balancedSample', () => {
  const examples = Array.from({ length: 40 }, (_, i) => ({ id: i, label: i < 30 ? 0 : i < 36 ? 1 : 2 }));

  it('takes as many of each label, in a seeded shuffled order', () => {
    const sample = balancedSample(examples, 4, 3, 9);
    expect(sample).toHaveLength(12);
    expect([0, 1, 2].map((label) => sample.filter((e) => e.label === label).length)).toEqual([4, 4, 4]);
    expect(new Set(sample.map((e) => e.id)).size).toBe(12);
    expect(balancedSample(examples, 4, 3, 9)).toEqual(sample);
    expect(balancedSample(examples, 4, 3, 10)).not.toEqual(sample);
  });

  it('names a label that has too few examples', () => {
    expect(() => balancedSample(examples, 5, 3, 1)).toThrow(
      'balancedSample: label 2 has 4 examples, fewer than the 5 asked for',
    );
  });
});
