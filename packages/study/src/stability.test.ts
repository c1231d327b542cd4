import { describe, expect, it } from 'vitest';
import { type GridRun, summarizeGrid } from './stability.js';

/** A run whose accuracy climbs linearly to `final` over 4 evaluations, its loss falling to `loss`. */
function run(method: 'full' | 'lora', lr: number, seed: number, final: number, loss: number): GridRun {
  return {
    method,
    lr,
    seed,
    evaluations: [1, 2, 3, 4].map((i) => ({
      step: 10 * i,
      valAccuracy: 0.5 + ((final - 0.5) * i) / 4,
      valLoss: 1 + ((loss - 1) * i) / 4,
    })),
  };
}

describe('summarizeGrid', () => {
  // LoRA: 0.80 at every rate, seeds within 0.01; full: 0.60 / 0.85 / 0.70 across rates, seeds spread by 0.1
  const runs: GridRun[] = [
    ...[1e-3, 3e-3, 1e-2].flatMap((lr) =>
      [0, 1, 2].map((seed) => run('lora', lr, seed, 0.8 + (seed - 1) * 0.01, 0.6 + seed * 0.01)),
    ),
    ...[
      [3e-4, 0.6],
      [1e-3, 0.85],
      [3e-3, 0.7],
    ].flatMap(([lr, accuracy]) =>
      [0, 1, 2].map((seed) => run('full', lr!, seed, accuracy! + (seed - 1) * 0.1, 0.5 + seed * 0.1)),
    ),
  ];
  const result = summarizeGrid(runs, 0.5);

  it('measures each cell: final accuracy over seeds, loss-curve spread, steps to the target', () => {
    expect(result.target).toBeCloseTo(0.5 + (0.85 - 0.5) / 2, 12); // halfway from chance to the best cell
    const full1e3 = result.cells.find((cell) => cell.method === 'full' && cell.lr === 1e-3)!;
    expect(full1e3.accuracy.mean).toBeCloseTo(0.85, 12);
    expect(full1e3.accuracy.sd).toBeCloseTo(0.1, 12);
    // seed 0 climbs to 0.75: 0.5625, 0.625, 0.6875 (≥ 0.675 at step 30); seed 2 to 0.95: reached at step 20
    expect(full1e3.stepsToTarget).toEqual([30, 20, 20]);
    // losses 0.5, 0.6, 0.7 at the end: s.d. 0.1 there, 0.025·i at evaluation i, averaged
    expect(full1e3.lossCurveSd).toBeCloseTo((0.025 + 0.05 + 0.075 + 0.1) / 4, 12);
  });

  it('compares the methods and says which is the more stable, with the numbers', () => {
    expect(result.methods.lora.rateRange).toBeCloseTo(0, 12);
    expect(result.methods.full.rateRange).toBeCloseTo(0.25, 12);
    expect(result.methods.lora.seedSd).toBeCloseTo(0.01, 12);
    expect(result.methods.full.seedSd).toBeCloseTo(0.1, 12);
    expect(result.methods.full.stepsToTarget.runs).toBe(9);
    expect(result.verdict).toContain('LoRA is the more stable here');
    expect(result.verdict).toContain('moves by 0.000 across rates with LoRA and 0.250 in full');
    // the other way round, it says so
    const swapped = summarizeGrid(
      runs.map((r) => ({ ...r, method: r.method === 'full' ? ('lora' as const) : ('full' as const) })),
      0.5,
    );
    expect(swapped.verdict).toContain('LoRA is the less stable here');
  });

  it('says when neither is clearly the more stable, and refuses runs without evaluations', () => {
    const even = summarizeGrid(
      runs.map((r) => ({ ...r, evaluations: r.evaluations.map((e) => ({ ...e, valAccuracy: 0.7 })) })),
      0.5,
    );
    expect(even.verdict).toContain('neither is clearly the more stable here');
    expect(() => summarizeGrid([{ ...runs[0]!, evaluations: [] }, ...runs.slice(1)], 0.5)).toThrow(
      /logged no evaluation/,
    );
  });
});
