// Loading a classifier for evaluation, WiSE-FT and soups: a model fine-tuned in full (weights +
// classifier.safetensors + labels.json), or a base model with a SEQ_CLS LoRA adapter (its labels.json beside).
import { join, resolve } from 'node:path';
import type { PromptTemplate } from '@mini-llama/eval';
import {
  LABELS_FILE,
  loadSequenceClassifier,
  MissingClassifierError,
  readClassifierLabels,
} from '@mini-llama/eval/node';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { type ParsedAdapter, savedModuleKey } from '@mini-llama/peft-lora';
import { loadAdapter, readAdapter } from '@mini-llama/peft-lora/node';
import { mergeAdapters } from './adapters.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

export interface LoadedClassifierModel {
  model: LlamaModel;
  classifier: SequenceClassifier;
  labelNames: string[];
  prompt: PromptTemplate | null;
  /** The longest input it was fine-tuned on (labels.json), null when not recorded. */
  maxLength: number | null;
}

/** An adapter directory read and checked (the files only), with its path. */
export async function readAdapterDirectory(
  directory: string,
  io: CliIo,
): Promise<ParsedAdapter & { path: string }> {
  const path = resolve(io.cwd, directory);
  return { ...(await readAdapter(path)), path };
}

/** The label count of a SEQ_CLS adapter: the rows of its saved score head. */
export function adapterLabelCount(adapter: ParsedAdapter & { path: string }): number {
  const score = adapter.tensors.get(savedModuleKey('score'));
  if (score?.shape.length !== 2) {
    throw new CliError(`${adapter.path}: a SEQ_CLS adapter without ${savedModuleKey('score')} [labels, dim]`);
  }
  return score.shape[0]!;
}

/**
 * The classifier to evaluate: with a SEQ_CLS adapter (the last of `adapters`; LM adapters before it are
 * merged into the base first), the base model plus that adapter, merged; otherwise the fine-tuned
 * classifier at `modelPath` with any LM adapters merged into its backbone.
 */
export async function loadClassifierModel(
  modelPath: string,
  adapters: readonly string[],
  io: CliIo,
): Promise<LoadedClassifierModel> {
  const parsed = [];
  for (const directory of adapters) parsed.push(await readAdapterDirectory(directory, io));
  const classifierAdapters = parsed.filter((adapter) => adapter.taskType === 'SEQ_CLS');
  if (
    classifierAdapters.length > 1 ||
    (classifierAdapters.length === 1 && parsed.at(-1)!.taskType !== 'SEQ_CLS')
  ) {
    throw new CliError(
      '--adapter: at most one classification (SEQ_CLS) adapter, given last (language-model adapters before it are merged first)',
    );
  }
  const head = classifierAdapters[0];
  if (!head) {
    const loaded = await loadSequenceClassifier(modelPath).catch((error: unknown) => {
      if (error instanceof MissingClassifierError) {
        throw new CliError(
          `${error.message}: pass a classification adapter (--adapter DIR from finetune --task --lora-rank), or --zero-shot to score label words with the language model`,
        );
      }
      throw error;
    });
    await mergeAdapters(loaded.model, adapters, io);
    return loaded;
  }
  const { model } = await loadModel(modelPath);
  await mergeAdapters(model, adapters.slice(0, -1), io);
  const numLabels = adapterLabelCount(head);
  const classifier = new SequenceClassifier(model, numLabels);
  try {
    const lora = await loadAdapter(classifier, head.path);
    lora.mergeAndUnload();
    io.stderr.write(`adapter: merged ${head.path} (a ${numLabels}-label classifier)\n`);
    const labels = await readClassifierLabels(join(head.path, LABELS_FILE), numLabels);
    return { model, classifier, ...labels };
  } catch (error) {
    classifier.dispose();
    model.dispose();
    throw error;
  }
}
