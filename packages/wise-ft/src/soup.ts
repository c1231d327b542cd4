import type { NamedTensor, StateDict } from '@mini-llama/formats';
import { assertSameArchitecture } from './interpolate.js';

/** A fine-tuned model offered to a soup, with a name for reports and errors. */
export interface SoupIngredient {
  name: string;
  state: StateDict;
}

/**
 * Uniform soup (Wortsman et al. 2022, "Model soups"): the elementwise mean of every model's tensors.
 * All models must share one architecture (same names and shapes).
 */
export function uniformSoup(ingredients: readonly SoupIngredient[]): StateDict {
  const [first, ...rest] = ingredients;
  if (!first) throw new Error('uniformSoup: no models given');
  for (const other of rest) assertSameArchitecture(first.state, other.state, [first.name, other.name]);
  const out: StateDict = new Map();
  for (const [name, tensor] of first.state) {
    const sum = new Float64Array(tensor.data.length);
    for (const { state } of ingredients) {
      const data = (state.get(name) as NamedTensor).data;
      for (let i = 0; i < sum.length; i++) sum[i]! += data[i]!;
    }
    out.set(name, {
      shape: [...tensor.shape],
      data: Float32Array.from(sum, (value) => value / ingredients.length),
    });
  }
  return out;
}

export interface GreedySoupStep {
  /** The ingredient tried at this step (in order of held-out score, best first). */
  name: string;
  /** Its own held-out score. */
  individual: number;
  /** Held-out score of the soup with it added. */
  withIt: number;
  added: boolean;
}

export interface GreedySoupResult {
  state: StateDict;
  /** Names in the final soup. */
  ingredients: string[];
  /** Held-out score of the final soup. */
  score: number;
  steps: GreedySoupStep[];
}

/**
 * Greedy soup (Wortsman et al. 2022, Recipe 1): sort the models by held-out score, start from the best one,
 * and add each next model only if the uniform soup with it scores at least as well on the held-out set.
 * The held-out set guards against averaging in a model that hurts; it must not be a test set.
 * `evaluate` scores a state dict on the held-out data (higher is better).
 */
export async function greedySoup(
  ingredients: readonly SoupIngredient[],
  evaluate: (state: StateDict) => Promise<number>,
  { onStep }: { onStep?: (step: GreedySoupStep) => void } = {},
): Promise<GreedySoupResult> {
  if (ingredients.length === 0) throw new Error('greedySoup: no models given');
  const scored: { ingredient: SoupIngredient; score: number }[] = [];
  for (const ingredient of ingredients) scored.push({ ingredient, score: await evaluate(ingredient.state) });
  scored.sort((a, b) => b.score - a.score);
  const [best, ...rest] = scored as [(typeof scored)[number], ...typeof scored];
  let members = [best.ingredient];
  let soup = best.ingredient.state;
  let score = best.score;
  const steps: GreedySoupStep[] = [
    { name: best.ingredient.name, individual: best.score, withIt: best.score, added: true },
  ];
  onStep?.(steps[0]!);
  for (const { ingredient, score: individual } of rest) {
    const candidate = uniformSoup([...members, ingredient]);
    const withIt = await evaluate(candidate);
    const added = withIt >= score;
    if (added) {
      members = [...members, ingredient];
      soup = candidate;
      score = withIt;
    }
    const step = { name: ingredient.name, individual, withIt, added };
    steps.push(step);
    onStep?.(step);
  }
  return { state: soup, ingredients: members.map((member) => member.name), score, steps };
}
