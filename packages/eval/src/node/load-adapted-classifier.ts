// Loading a classifier for evaluation, WiSE-FT and soups: a model fine-tuned in full (weights +
// classifier.safetensors + labels.json), or a base model with a SEQ_CLS LoRA adapter (its labels.json beside),
// with language-model adapters merged into the base first.
import { join } from 'node:path';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import {
  adapterLabelCount,
  loadAdapter,
  mergeAdapterDirectories,
  readAdapterDirectory,
} from '@mini-llama/peft-lora/node';
import type { PromptTemplate } from '../prompt-template.js';
import {
  LABELS_FILE,
  loadSequenceClassifier,
  MissingClassifierError,
  readClassifierLabels,
} from './load-classifier.js';

export interface LoadedClassifierModel {
  model: LlamaModel;
  classifier: SequenceClassifier;
  labelNames: string[];
  prompt: PromptTemplate | null;
  /** The longest input it was fine-tuned on (labels.json), null when not recorded. */
  maxLength: number | null;
}

/**
 * The classifier to evaluate: with a SEQ_CLS adapter (the last of `adapters`; LM adapters before it are
 * merged into the base first), the base model plus that adapter, merged; otherwise the fine-tuned
 * classifier at `modelPath` with any LM adapters merged into its backbone.
 */
export async function loadClassifierModel(
  modelPath: string,
  adapters: readonly string[],
  onMessage: (message: string) => void = () => {},
): Promise<LoadedClassifierModel> {
  const parsed = [];
  for (const directory of adapters) parsed.push(await readAdapterDirectory(directory));
  const classifierAdapters = parsed.filter((adapter) => adapter.taskType === 'SEQ_CLS');
  if (
    classifierAdapters.length > 1 ||
    (classifierAdapters.length === 1 && parsed.at(-1)!.taskType !== 'SEQ_CLS')
  ) {
    throw new Error(
      'adapters: at most one classification (SEQ_CLS) adapter, given last (language-model adapters before it are merged first)',
    );
  }
  const head = classifierAdapters[0];
  if (!head) {
    const loaded = await loadSequenceClassifier(modelPath).catch((error: unknown) => {
      if (error instanceof MissingClassifierError) {
        throw new MissingClassifierError(
          `${error.message}: pass a classification adapter (--adapter DIR from finetune --task --lora-rank), or --zero-shot to score label words with the language model`,
        );
      }
      throw error;
    });
    await mergeAdapterDirectories(loaded.model, adapters, merged(onMessage));
    return loaded;
  }
  const { model } = await loadModel(modelPath);
  await mergeAdapterDirectories(model, adapters.slice(0, -1), merged(onMessage));
  const numLabels = adapterLabelCount(head);
  const classifier = new SequenceClassifier(model, numLabels);
  try {
    const lora = await loadAdapter(classifier, head.path);
    lora.mergeAndUnload();
    onMessage(`adapter: merged ${head.path} (a ${numLabels}-label classifier)`);
    const labels = await readClassifierLabels(join(head.path, LABELS_FILE), numLabels);
    return { model, classifier, ...labels };
  } catch (error) {
    classifier.dispose();
    model.dispose();
    throw error;
  }
}

/** The message a merged language-model adapter gets. */
export function merged(onMessage: (message: string) => void) {
  return (directory: string, modules: number) =>
    onMessage(`adapter: merged ${directory} (${modules} modules)`);
}
