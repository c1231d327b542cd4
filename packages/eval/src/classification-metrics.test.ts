import { describe, expect, it } from 'vitest';
import { classificationMetrics, confusionMatrix } from './classification-metrics.js';

describe('classificationMetrics', () => {
  it('computes a three-class case by hand, with a class that is never predicted', () => {
    const labels = [0, 0, 1, 1, 2, 2];
    const predictions = [0, 1, 1, 1, 0, 0];
    const metrics = classificationMetrics(labels, predictions, ['a', 'b', 'c']);
    expect(metrics.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [2, 0, 0],
    ]);
    expect(metrics.n).toBe(6);
    expect(metrics.accuracy).toBe(0.5);
    const [a, b, c] = metrics.perClass;
    // a: 1 right of 3 predicted, 1 of 2 found → P 1/3, R 1/2, F1 = 2·(1/6)/(5/6) = 0.4
    expect(a).toMatchObject({ label: 'a', support: 2, predicted: 3 });
    expect(a!.precision).toBeCloseTo(1 / 3, 12);
    expect(a!.recall).toBe(0.5);
    expect(a!.f1).toBeCloseTo(0.4, 12);
    // b: P 2/3, R 1, F1 0.8
    expect(b!.precision).toBeCloseTo(2 / 3, 12);
    expect(b!.recall).toBe(1);
    expect(b!.f1).toBeCloseTo(0.8, 12);
    // c: never predicted: precision 0/0 → 0, recall 0, F1 0, and it still counts in the macro average
    expect(c).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 2, predicted: 0 });
    expect(metrics.macroF1).toBeCloseTo((0.4 + 0.8 + 0) / 3, 12);
  });

  it('leaves out of macro-F1 a class that neither occurs nor is predicted', () => {
    const metrics = classificationMetrics([0, 1, 1, 0], [0, 1, 0, 0], ['x', 'y', 'z']);
    // x: P 2/3, R 1 → 0.8; y: P 1, R 1/2 → 2/3; z absent
    expect(metrics.macroF1).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
    expect(metrics.perClass[2]).toMatchObject({ support: 0, predicted: 0, f1: 0 });
  });

  it('is perfect on perfect predictions', () => {
    const metrics = classificationMetrics([0, 1, 2, 1], [0, 1, 2, 1], ['x', 'y', 'z']);
    expect(metrics.accuracy).toBe(1);
    expect(metrics.macroF1).toBe(1);
  });

  it('rejects mismatched lengths, out-of-range classes and unlabelled examples', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/2 labels but 1 predictions/);
    expect(() => confusionMatrix([0, 2], [0, 1], 2)).toThrow(
      /label 2 of example 1 is not a class index in \[0, 2\)/,
    );
    expect(() => confusionMatrix([0, 1], [0, 3], 2)).toThrow(/prediction 3 of example 1/);
    expect(() => confusionMatrix([-1], [0], 2)).toThrow(/unlabelled example/);
    expect(() => classificationMetrics([], [], ['a'])).toThrow(/no examples/);
  });
});
