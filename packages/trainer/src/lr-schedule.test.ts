import { describe, expect, it } from 'vitest';
import { learningRateAt, validateSchedule } from './index.js';

describe('learningRateAt', () => {
  const base = { learningRate: 1, minLearningRate: 0.1, warmupSteps: 4, totalSteps: 14 };
  it('warms up linearly from lr/warmup to lr', () => {
    expect([0, 1, 2, 3].map((step) => learningRateAt(step, { name: 'cosine', ...base }))).toEqual([
      0.25, 0.5, 0.75, 1,
    ]);
  });

  it('decays by a half cosine to the minimum, then stays there', () => {
    const at = (step: number) => learningRateAt(step, { name: 'cosine', ...base });
    expect(at(4)).toBeCloseTo(1, 12);
    expect(at(9)).toBeCloseTo(0.1 + 0.5 * 0.9, 12); // halfway: cos(π/2) = 0
    expect(at(14)).toBeCloseTo(0.1, 12);
    expect(at(100)).toBeCloseTo(0.1, 12);
  });

  it('linear and constant', () => {
    expect(learningRateAt(9, { name: 'linear', ...base })).toBeCloseTo(0.55, 12);
    expect(learningRateAt(9, { name: 'constant', ...base })).toBe(1);
    expect(learningRateAt(2, { name: 'constant', ...base })).toBe(0.75); // warm-up applies to every schedule
  });

  it('validates', () => {
    expect(() => validateSchedule({ name: 'step' as never, learningRate: 1, totalSteps: 2 })).toThrow(
      /unknown name "step"/,
    );
    expect(() =>
      validateSchedule({ name: 'cosine', learningRate: 1, minLearningRate: 2, totalSteps: 2 }),
    ).toThrow(/minLearningRate must be in \[0, learningRate\], got 2/);
    expect(() => learningRateAt(-1, { name: 'cosine', ...base })).toThrow(
      /step must be an integer ≥ 0, got -1/,
    );
  });
});
