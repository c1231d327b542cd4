// Perplexity of a model on disk (with LoRA adapters merged) over a text file or prepared shards.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkTokenizerMatchesModel, MANIFEST_FILE } from '@mini-llama/data';
import { loadModel } from '@mini-llama/model/node';
import { mergeAdapterDirectories } from '@mini-llama/peft-lora/node';
import { tokenizerForModel } from '@mini-llama/tokenizer/node';
import { type PerplexityProgress, type PerplexityResult, textPerplexity } from '../perplexity.js';
import { merged } from './load-adapted-classifier.js';
import { shardPerplexity } from './shard-perplexity.js';

export interface DataPerplexityOptions {
  /** Weights (any format @mini-llama/model reads); absolute paths here and below. */
  model: string;
  /** LoRA adapter directories (language-model ones), merged in order. */
  adapters?: readonly string[];
  /** A UTF-8 text file (one document), or a directory of shards with manifest.json. */
  data: string;
  /** A tokenizer name or path; default: the one beside the model (needed for text, optional for shards). */
  tokenizer?: string;
  split?: 'train' | 'val'; // of shards (default val)
  window?: number; // input tokens per forward (default: the model's context)
  stride?: number; // default window / 2
  batchSize?: number;
  onProgress?: (progress: PerplexityProgress) => void;
  onMessage?: (message: string) => void;
}

export type DataPerplexity = PerplexityResult & { data: string; split: 'train' | 'val' | null };

/** Perplexity and bits per byte of a model on a text file or prepared shards (see textPerplexity). */
export async function dataPerplexity(options: DataPerplexityOptions): Promise<DataPerplexity> {
  const { model: modelPath, data, split = 'val' } = options;
  const info = await stat(data).catch(() => null);
  if (!info) throw new Error(`${data}: no such file or directory`);
  const shards = info.isDirectory();
  if (shards && !(await stat(join(data, MANIFEST_FILE)).catch(() => null))) {
    throw new Error(
      `${data} is a directory without ${MANIFEST_FILE}: give a text file, or shards made by \`mini-llama data prepare\``,
    );
  }
  const tokenizer = await tokenizerForModel(modelPath, {
    given: options.tokenizer,
    required: shards ? null : 'the data is a text file, which must be tokenized',
  });
  const { model } = await loadModel(modelPath);
  try {
    await mergeAdapterDirectories(model, options.adapters ?? [], merged(options.onMessage ?? (() => {})));
    if (tokenizer) checkTokenizerMatchesModel(tokenizer.tokenizer, model.config.vocabSize, tokenizer.name);
    if (options.window !== undefined && options.window > model.config.maxSeqLen) {
      throw new Error(
        `the window of ${options.window} tokens exceeds the model's context of ${model.config.maxSeqLen}`,
      );
    }
    const windowSize = options.window ?? model.config.maxSeqLen;
    if (options.stride !== undefined && options.stride > windowSize) {
      throw new Error(`stride ${options.stride} is larger than the window of ${windowSize} tokens`);
    }
    const scoring = {
      windowSize,
      stride: options.stride,
      batchSize: options.batchSize ?? 4,
      onProgress: options.onProgress,
    };
    const result = shards
      ? await shardPerplexity(model, data, { ...scoring, split, tokenizer: tokenizer?.tokenizer })
      : await textPerplexity(model, tokenizer!.tokenizer, await readFile(data, 'utf8'), scoring);
    return { ...result, data, split: shards ? split : null };
  } finally {
    model.dispose();
  }
}
