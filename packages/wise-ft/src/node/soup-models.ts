// Model soups (Wortsman et al. 2022) of models on disk: uniform or greedy against a held-out set, written as
// one model with soup.json beside it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalSet } from '@mini-llama/data/node';
import { evaluateIdOod } from '@mini-llama/eval';
import { saveClassifierHead } from '@mini-llama/eval/node';
import type { StateDict } from '@mini-llama/formats';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { copyTokenizerTo } from '@mini-llama/tokenizer/node';
import { type GreedySoupStep, greedySoup, type SoupIngredient, uniformSoup } from '../soup.js';
import { predictorFor, readWeightModel, type WeightModel } from './weight-space.js';

export interface SoupModelsOptions {
  /** The fine-tunes to average (absolute paths); `names` says how to call them (default: the paths). */
  models: readonly string[];
  names?: readonly string[];
  mode: 'uniform' | 'greedy';
  /** The set that guards each addition (greedy) or scores the soup (uniform); needs a tokenizer. */
  heldOut?: EvalSet | null;
  tokenizer?: Tokenizer | null;
  batchSize?: number;
  /** Where the soup is written (HF directory, soup.json beside the weights). */
  out: string;
  /** The tokenizer file to copy beside the soup, when there is one. */
  tokenizerFile?: string | null;
  onStep?: (step: GreedySoupStep) => void;
}

/** soup.json's contents. */
export interface SoupSummary {
  mode: 'uniform' | 'greedy';
  heldOut: string | null;
  models: string[];
  ingredients: string[];
  heldOutAccuracy: number | null;
  individualAccuracy: Record<string, number> | null;
  steps: GreedySoupStep[];
}

/** Reads the models (all classifiers of one task, or all language models), makes the soup and writes it. */
export async function soupModels(options: SoupModelsOptions): Promise<SoupSummary> {
  const { models: paths, mode, heldOut = null, tokenizer = null, batchSize = 16 } = options;
  if (paths.length < 2) throw new Error('a soup needs at least two models');
  if (mode === 'greedy' && !heldOut)
    throw new Error('a greedy soup needs a held-out set: it guards each addition');
  if (heldOut && !tokenizer) throw new Error('the held-out texts must be tokenized: give a tokenizer');
  const models: WeightModel[] = [];
  for (const path of paths) models.push(await readWeightModel(path));
  const first = models[0]!;
  for (const model of models.slice(1)) {
    if (Boolean(model.classifier) !== Boolean(first.classifier)) {
      throw new Error(`${first.path} and ${model.path} are not both classifiers (or both language models)`);
    }
    if (first.classifier && JSON.stringify(model.classifier) !== JSON.stringify(first.classifier)) {
      throw new Error(
        `${model.path} has other labels or another prompt than ${first.path} (labels.json): soups average fine-tunes of one task`,
      );
    }
  }
  if (
    heldOut &&
    first.classifier &&
    first.classifier.labelNames.length !== heldOut.dataset.labelNames.length
  ) {
    throw new Error(
      `${heldOut.name} has ${heldOut.dataset.labelNames.length} labels, the classifiers ${first.classifier.labelNames.length}`,
    );
  }
  const names = options.names ?? paths;
  const ingredients: SoupIngredient[] = models.map((model, i) => ({ name: names[i]!, state: model.state }));

  const model = new LlamaModel(first.config, { init: 'none' });
  const classifier = first.classifier
    ? new SequenceClassifier(model, first.classifier.labelNames.length)
    : null;
  try {
    const predict = heldOut
      ? predictorFor(model, classifier, first.classifier, tokenizer!, heldOut, batchSize)
      : null;
    const evaluate = async (state: StateDict): Promise<number> => {
      (classifier ?? model).loadStateDict(state, 'soup');
      const set = { name: heldOut!.name, examples: heldOut!.dataset.examples };
      const report = await evaluateIdOod(predict!, {
        id: set,
        ood: [],
        labelNames: heldOut!.dataset.labelNames,
      });
      return report.id.accuracy;
    };
    let soup: StateDict;
    let members: string[];
    let steps: GreedySoupStep[] = [];
    let individual: Record<string, number> | null = null;
    let score: number | null = null;
    if (mode === 'greedy') {
      const result = await greedySoup(ingredients, evaluate, { onStep: options.onStep });
      ({ state: soup, ingredients: members, steps, score } = result);
      individual = Object.fromEntries(steps.map((step) => [step.name, step.individual]));
    } else {
      soup = uniformSoup(ingredients);
      members = ingredients.map((ingredient) => ingredient.name);
      if (heldOut) {
        individual = {};
        for (const ingredient of ingredients) individual[ingredient.name] = await evaluate(ingredient.state);
        score = await evaluate(soup);
      }
    }
    (classifier ?? model).loadStateDict(soup, 'soup');
    await saveModel(model, options.out, { format: 'hf' });
    if (classifier && first.classifier) {
      await saveClassifierHead(
        options.out,
        (await classifier.stateDict()).get('score.weight')!,
        first.classifier,
      );
    }
    if (options.tokenizerFile) await copyTokenizerTo(options.tokenizerFile, options.out);
    const summary: SoupSummary = {
      mode,
      heldOut: heldOut?.name ?? null,
      models: ingredients.map((ingredient) => ingredient.name),
      ingredients: members,
      heldOutAccuracy: score,
      individualAccuracy: individual,
      steps,
    };
    await writeFile(join(options.out, 'soup.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}
