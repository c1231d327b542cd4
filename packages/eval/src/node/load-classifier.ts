import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '@mini-llama/formats';
import { readWeightFile, writeAtomic } from '@mini-llama/formats/node';
import { LlamaModel, type NamedTensor, SequenceClassifier } from '@mini-llama/model';
import type { PromptTemplate } from '../prompt-template.js';

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
  /**
   * The prompt the classifier was fine-tuned on (`finetune --head zero-shot`): texts go into its template
   * before the classifier reads them, and its verbalizers made the head's starting rows. Null: raw texts.
   */
  prompt: PromptTemplate | null;
  /** The longest input, in tokens, the classifier was fine-tuned on (null: not recorded; the model's context). */
  maxLength: number | null;
}

/**
 * What labels.json holds: the label names, the prompt when the classifier was trained on one, and the longest
 * input it was trained on (`maxLength`: evaluating it should truncate there too; null when not recorded).
 */
export interface ClassifierLabels {
  labelNames: string[];
  prompt: PromptTemplate | null;
  maxLength: number | null;
}

/** A classification head saved beside a model's weights: `score.weight` and what labels.json says. */
export interface SavedClassifierHead {
  /** The model's directory (the path itself for a directory, else the directory of the weight file). */
  directory: string;
  /** [numLabels, dim] */
  scoreWeight: NamedTensor;
  labels: ClassifierLabels;
}

/**
 * Reads the head `mini-llama finetune --task` saves beside a model (`classifier.safetensors` with HF's
 * `score.weight` [numLabels, dim], and `labels.json`), or null when there is no classifier.safetensors. A head
 * that is not a 2-D `score.weight` (of width `dim`, when given) is an error naming the file.
 */
export async function readClassifierHead(path: string, dim?: number): Promise<SavedClassifierHead | null> {
  const directory = (await stat(path).catch(() => null))?.isDirectory() ? path : dirname(path);
  const headPath = join(directory, CLASSIFIER_FILE);
  const headBytes = await readFile(headPath).catch(() => null);
  if (!headBytes) return null;
  const scoreWeight = parseSafetensors(new Uint8Array(headBytes), headPath).tensors.get('score.weight');
  if (scoreWeight?.shape.length !== 2 || (dim !== undefined && scoreWeight.shape[1] !== dim)) {
    throw new MissingClassifierError(
      `${headPath}: expected a 2-D tensor score.weight [numLabels, ${dim ?? 'dim'}]`,
    );
  }
  const labels = await readClassifierLabels(join(directory, LABELS_FILE), scoreWeight.shape[0]!);
  return { directory, scoreWeight, labels };
}

/**
 * Loads a fine-tuned sequence classifier as `mini-llama finetune --task` saves it: the backbone in any weight
 * format `readWeightFile` reads, `classifier.safetensors` (HF's `score.weight`, [numLabels, dim]) and
 * `labels.json` ({"labelNames": [...]}) in the model's directory (beside the file for a weight file).
 */
export async function loadSequenceClassifier(path: string): Promise<LoadedClassifier> {
  const head = await readClassifierHead(path);
  if (!head) {
    const directory = (await stat(path).catch(() => null))?.isDirectory() ? path : dirname(path);
    throw new MissingClassifierError(
      `${path}: no classification head (${CLASSIFIER_FILE}, written by \`mini-llama finetune --task\`) in ${directory}`,
    );
  }
  const numLabels = head.scoreWeight.shape[0]!;
  const labels = head.labels;
  const { config, stateDict } = await readWeightFile(path);
  stateDict.set('score.weight', head.scoreWeight);
  const model = new LlamaModel(config, { init: 'none' });
  const classifier = new SequenceClassifier(model, numLabels);
  try {
    classifier.loadStateDict(stateDict, path);
  } catch (error) {
    classifier.dispose();
    model.dispose();
    throw error;
  }
  return { classifier, model, ...labels };
}

/**
 * labels.json: {"labelNames": [...], "prompt"?: {"template": "…{text}…", "verbalizers": [...]}}. Without the
 * file the names are '0' … numLabels − 1 and there is no prompt.
 */
export async function readClassifierLabels(path: string, numLabels: number): Promise<ClassifierLabels> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null)
    return {
      labelNames: Array.from({ length: numLabels }, (_, i) => String(i)),
      prompt: null,
      maxLength: null,
    };
  let json: { labelNames?: unknown; prompt?: unknown; maxLength?: unknown };
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const names = json.labelNames;
  if (!Array.isArray(names) || names.length !== numLabels || names.some((name) => typeof name !== 'string')) {
    throw new Error(
      `${path}: expected {"labelNames": [${numLabels} strings]} to match the head's ${numLabels} labels`,
    );
  }
  const prompt = json.prompt ?? null;
  if (prompt !== null) {
    const { template, verbalizers } = prompt as { template?: unknown; verbalizers?: unknown };
    if (typeof template !== 'string' || !template.includes('{text}')) {
      throw new Error(`${path}: prompt.template must be a string with a {text} slot`);
    }
    if (
      !Array.isArray(verbalizers) ||
      verbalizers.length !== numLabels ||
      verbalizers.some((word) => typeof word !== 'string')
    ) {
      throw new Error(`${path}: prompt.verbalizers must be ${numLabels} strings, one per label`);
    }
  }
  const maxLength = json.maxLength ?? null;
  if (maxLength !== null && !(Number.isInteger(maxLength) && (maxLength as number) > 0)) {
    throw new Error(
      `${path}: maxLength must be a positive integer (tokens), got ${JSON.stringify(maxLength)}`,
    );
  }
  return {
    labelNames: names as string[],
    prompt: prompt as PromptTemplate | null,
    maxLength: maxLength as number | null,
  };
}

/**
 * Writes a classification head beside a model's weights, as `loadSequenceClassifier` reads it:
 * DIR/classifier.safetensors (`score.weight` [numLabels, dim], F32) and DIR/labels.json, each atomically.
 */
export async function saveClassifierHead(
  directory: string,
  scoreWeight: NamedTensor,
  {
    labelNames,
    prompt = null,
    maxLength = null,
  }: { labelNames: readonly string[]; prompt?: PromptTemplate | null; maxLength?: number | null },
): Promise<void> {
  if (scoreWeight.shape.length !== 2 || scoreWeight.shape[0] !== labelNames.length) {
    throw new Error(
      `saveClassifierHead: score.weight [${scoreWeight.shape}] does not fit ${labelNames.length} label names`,
    );
  }
  await mkdir(directory, { recursive: true });
  await writeAtomic(
    join(directory, CLASSIFIER_FILE),
    serializeSafetensors(new Map([['score.weight', scoreWeight]]), { dtype: 'F32' }),
  );
  const labels = {
    labelNames,
    ...(prompt ? { prompt: { template: prompt.template, verbalizers: prompt.verbalizers } } : {}),
    ...(maxLength !== null ? { maxLength } : {}),
  };
  await writeAtomic(join(directory, LABELS_FILE), `${JSON.stringify(labels, null, 2)}\n`);
}
