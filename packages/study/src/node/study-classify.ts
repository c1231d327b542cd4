import type { EvalSet } from '@mini-llama/data/node';
import { classificationJson, classifySets } from '@mini-llama/eval/node';
import type { SetsPredictions, ZeroShotResult } from '../results.js';
import { setsLabels } from './study-curves.js';

type Progress = (done: number, total: number) => void;

/** The zero-shot stage: label words (every token of each label's words) scored by the pretrained model. */
export async function zeroShotStage(
  model: string,
  id: EvalSet,
  ood: readonly EvalSet[],
  progress: Progress,
): Promise<ZeroShotResult> {
  const result = await classifySets({
    model,
    id,
    ood,
    zeroShot: {},
    onProgress: ({ done, total }) => progress(done, total),
  });
  return {
    evaluation: classificationJson(result),
    labels: setsLabels(id, ood),
    predictions: { id: result.id.predictions, ood: result.ood.map((set) => set.predictions) },
  };
}

/** What a fine-tuned classifier (a model, or a base with a classification adapter) predicts on every set. */
export async function setsPredictions(
  model: string,
  adapters: readonly string[],
  id: EvalSet,
  ood: readonly EvalSet[],
  progress: Progress,
  say: (message: string) => void,
): Promise<SetsPredictions> {
  const result = await classifySets({
    model,
    adapters,
    id,
    ood,
    onProgress: ({ done, total }) => progress(done, total),
    onMessage: say,
  });
  return { id: result.id.predictions, ood: result.ood.map((set) => set.predictions) };
}
