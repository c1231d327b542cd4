import { describe, expect, it } from 'vitest';
import { argmax, calibrateScores, meanLabelProbabilities } from './calibration.js';

describe('calibration arithmetic', () => {
  it('divides by the content-free probabilities and renormalises (a hand-made case)', () => {
    const scores = [
      [Math.log(0.6), Math.log(0.4)],
      [Math.log(0.45), Math.log(0.55)],
      [Math.log(0.8), Math.log(0.2)],
    ];
    const calibrated = calibrateScores(scores, [0.7, 0.3]);
    // 0.6/0.7 : 0.4/0.3 = 0.857 : 1.333 → 0.3913 : 0.6087
    expect(Math.exp(calibrated[0]![0]!)).toBeCloseTo(0.6 / 0.7 / (0.6 / 0.7 + 0.4 / 0.3), 10);
    expect(scores.map(argmax)).toEqual([0, 1, 0]);
    expect(calibrated.map(argmax)).toEqual([1, 1, 0]);
    expect(
      meanLabelProbabilities([
        [0, 0],
        [Math.log(3), 0],
      ]),
    ).toEqual([(0.5 + 0.75) / 2, (0.5 + 0.25) / 2]);
    expect(() => calibrateScores(scores, [1, 0])).toThrow(/must be > 0/);
    expect(() => calibrateScores([[0, 0, 0]], [0.5, 0.5])).toThrow(/row 0 has 3 labels/);
  });
});
