import type { SplitName } from '@mini-llama/data';
import { ShardedTokenSource } from '@mini-llama/data/node';
import type { LlamaModel } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { documentBytes } from '../document-bytes.js';
import { evaluatePerplexity, type PerplexityOptions, type PerplexityResult } from '../perplexity.js';

export interface ShardPerplexityOptions extends Omit<PerplexityOptions, 'bytes'> {
  /** The split to score (default val: held-out documents). */
  split?: SplitName;
  /** Decodes the documents to count their UTF-8 bytes, for bits per byte; without it bytes are not known. */
  tokenizer?: Tokenizer;
}

/**
 * Perplexity on prepared token shards (`mini-llama data prepare`, a directory with manifest.json): the split's
 * documents as one stream, as the model was trained on them. Refuses shards made for another vocabulary.
 */
export async function shardPerplexity(
  model: LlamaModel,
  directory: string,
  { split = 'val', tokenizer, ...options }: ShardPerplexityOptions = {},
): Promise<PerplexityResult> {
  const source = await ShardedTokenSource.open(directory, { split, vocabSize: model.config.vocabSize });
  try {
    if (source.length < 2) {
      throw new RangeError(
        `${directory}: the ${split} split holds ${source.length} token(s), nothing to score`,
      );
    }
    const bytes = tokenizer ? await documentBytes(source, tokenizer) : null;
    return await evaluatePerplexity(model, source, { ...options, bytes });
  } finally {
    await source.close();
  }
}
