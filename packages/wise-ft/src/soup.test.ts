import type { StateDict } from '@mini-llama/model';
import { describe, expect, it } from 'vitest';
import { greedySoup, type SoupIngredient, uniformSoup } from './index.js';

// Toy "models": one tensor w of two numbers. The held-out score prefers w near (1, 1).
const model = (name: string, w: [number, number]): SoupIngredient => ({
  name,
  state: new Map([['w', { shape: [2], data: Float32Array.from(w) }]]),
});
const weights = (state: StateDict) => Array.from(state.get('w')!.data);
const score = async (state: StateDict) => {
  const [x, y] = weights(state) as [number, number];
  return -((x - 1) ** 2 + (y - 1) ** 2);
};

describe('model soups', () => {
  it('uniform soup averages every tensor', () => {
    const soup = uniformSoup([model('a', [0, 2]), model('b', [2, 2]), model('c', [1, -1])]);
    expect(weights(soup)).toEqual([1, 1]);
  });

  it('greedy soup starts from the best model and keeps only additions that do not hurt held-out', async () => {
    const steps: string[] = [];
    const result = await greedySoup(
      [model('far', [5, 5]), model('left', [0.9, 1.05]), model('low', [1, 0.85]), model('close', [1.1, 1])],
      score,
      { onStep: (step) => steps.push(`${step.name}:${step.added}`) },
    );
    // alone: close −0.01, left −0.0125, low −0.0225, far −32. close → +left gives [1, 1.025] (−0.000625,
    // kept) → +low gives [1, 0.9667] (−0.0011, worse: skipped) → +far (worse: skipped)
    expect(steps).toEqual(['close:true', 'left:true', 'low:false', 'far:false']);
    expect(result.ingredients).toEqual(['close', 'left']);
    expect(weights(result.state)[0]).toBeCloseTo(1, 6);
    expect(weights(result.state)[1]).toBeCloseTo(1.025, 6);
    expect(result.score).toBeCloseTo(-(0.025 ** 2), 6);
  });

  it('rejects models of different architectures and an empty list', async () => {
    const odd: SoupIngredient = {
      name: 'odd',
      state: new Map([['w', { shape: [3], data: new Float32Array(3) }]]),
    };
    expect(() => uniformSoup([model('a', [0, 0]), odd])).toThrow(
      'the two models differ in architecture: w has shape [2] in a but [3] in odd',
    );
    expect(() => uniformSoup([])).toThrow('uniformSoup: no models given');
    await expect(greedySoup([], score)).rejects.toThrow('greedySoup: no models given');
  });
});
