import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LlamaModel, parseSafetensors, SequenceClassifier } from '@mini-llama/model';
import { readWeightFile } from '@mini-llama/model/node';

/** The head file and label file `mini-llama finetune --task` writes beside the fine-tuned model. */
export const CLASSIFIER_FILE = 'classifier.safetensors';
export const LABELS_FILE = 'labels.json';

/** Thrown when a model has no classification head beside it. */
export class MissingClassifierError extends Error {
  override name = 'MissingClassifierError';
}

export interface LoadedClassifier {
  classifier: SequenceClassifier;
  /** The backbone; dispose it as well as the classifier (which disposes its head only). */
  model: LlamaModel;
  labelNames: string[];
}

/**
 * Loads a fine-tuned sequence classifier as `mini-llama finetune --task` saves it: the backbone in any weight
 * format `readWeightFile` reads, `classifier.safetensors` (HF's `score.weight`, [numLabels, dim]) and
 * `labels.json` ({"labelNames": [...]}) in the model's directory (beside the file for a weight file).
 */
export async function loadSequenceClassifier(path: string): Promise<LoadedClassifier> {
  const directory = (await stat(path).catch(() => null))?.isDirectory() ? path : dirname(path);
  const headPath = join(directory, CLASSIFIER_FILE);
  const headBytes = await readFile(headPath).catch(() => null);
  if (!headBytes) {
    throw new MissingClassifierError(
      `${path}: no classification head (${CLASSIFIER_FILE}, written by \`mini-llama finetune --task\`) in ${directory}`,
    );
  }
  const head = parseSafetensors(new Uint8Array(headBytes), headPath).tensors.get('score.weight');
  if (head?.shape.length !== 2) {
    throw new MissingClassifierError(`${headPath}: expected a 2-D tensor score.weight [numLabels, dim]`);
  }
  const numLabels = head.shape[0]!;
  const labelNames = await readLabelNames(join(directory, LABELS_FILE), numLabels);
  const { config, stateDict } = await readWeightFile(path);
  stateDict.set('score.weight', head);
  const model = new LlamaModel(config, { init: 'none' });
  const classifier = new SequenceClassifier(model, numLabels);
  try {
    classifier.loadStateDict(stateDict, path);
  } catch (error) {
    classifier.dispose();
    model.dispose();
    throw error;
  }
  return { classifier, model, labelNames };
}

/** labels.json's names, or '0' … numLabels − 1 when the file is absent. */
async function readLabelNames(path: string, numLabels: number): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return Array.from({ length: numLabels }, (_, i) => String(i));
  const names = (JSON.parse(text) as { labelNames?: unknown }).labelNames;
  if (!Array.isArray(names) || names.length !== numLabels || names.some((name) => typeof name !== 'string')) {
    throw new Error(
      `${path}: expected {"labelNames": [${numLabels} strings]} to match the head's ${numLabels} labels`,
    );
  }
  return names as string[];
}
