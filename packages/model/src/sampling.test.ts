import { describe, expect, it } from 'vitest';
import { Random, sampleToken, samplingDistribution } from './index.js';

const probabilities = [0.5, 0.25, 0.125, 0.125];
const logits = probabilities.map(Math.log);

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 9) {
  expect(actual.length).toBe(expected.length);
  for (const [i, value] of expected.entries()) expect(actual[i]).toBeCloseTo(value, digits);
}

describe('samplingDistribution on a known distribution', () => {
  it('temperature 1 returns softmax(logits)', () => {
    expectClose(samplingDistribution(logits, { temperature: 1 }), probabilities);
  });

  it('temperature 2 takes the square root of the probabilities, renormalised', () => {
    const roots = probabilities.map(Math.sqrt);
    const total = roots.reduce((a, b) => a + b);
    expectClose(
      samplingDistribution(logits, { temperature: 2 }),
      roots.map((r) => r / total),
    );
  });

  it('temperature 0 is one-hot on the argmax', () => {
    expectClose(samplingDistribution([0.1, 3, 2], { temperature: 0 }), [0, 1, 0]);
  });

  it('top-k keeps the k most likely tokens', () => {
    expectClose(samplingDistribution(logits, { topK: 2 }), [2 / 3, 1 / 3, 0, 0]);
    expectClose(samplingDistribution(logits, { topK: 1 }), [1, 0, 0, 0]);
  });

  it('top-p keeps the smallest set reaching p', () => {
    expectClose(samplingDistribution(logits, { topP: 0.7 }), [2 / 3, 1 / 3, 0, 0]); // 0.5 + 0.25 ≥ 0.7
    expectClose(samplingDistribution(logits, { topP: 0.5 }), [1, 0, 0, 0]); // 0.5 alone reaches 0.5
    expectClose(samplingDistribution(logits, { topP: 0.8 }), [0.5 / 0.875, 0.25 / 0.875, 0.125 / 0.875, 0]);
  });

  it('top-k then top-p compose', () => {
    expectClose(samplingDistribution(logits, { topK: 3, topP: 0.9 }), [
      0.5 / 0.875,
      0.25 / 0.875,
      0.125 / 0.875,
      0,
    ]);
  });
});

describe('sampleToken', () => {
  it('draws with the frequencies of the distribution', () => {
    const random = new Random(42);
    const counts = [0, 0, 0, 0];
    const draws = 40_000;
    for (let i = 0; i < draws; i++) counts[sampleToken(logits, { temperature: 1 }, random)]!++;
    // standard error of a frequency near 0.5 over 40k draws is 0.0025: allow 4 of them
    for (const [i, count] of counts.entries()) {
      expect(Math.abs(count / draws - probabilities[i]!)).toBeLessThan(0.01);
    }
  });

  it('never draws a token outside top-k', () => {
    const random = new Random(1);
    for (let i = 0; i < 2000; i++) expect(sampleToken(logits, { topK: 2 }, random)).toBeLessThan(2);
  });

  it('is reproducible for a seed', () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 1.3, topP: 0.95 }, random));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});

describe('Random', () => {
  it('restores its state exactly', () => {
    const random = new Random(9);
    random.normal();
    const state = random.getState();
    const next = [random.next(), random.normal(), random.normal()];
    const restored = new Random(0);
    restored.setState(state);
    expect([restored.next(), restored.normal(), restored.normal()]).toEqual(next);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const values = new Random(5).normalArray(50_000);
    const mean = values.reduce((a, b) => a + b) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });
});
