import { dirname, join } from 'node:path';
import { exists, isDirectory } from './paths.js';

/** File names a tokenizer is looked for under, in this order (llama2.c, SentencePiece, HF tokenizers). */
export const TOKENIZER_FILES = ['tokenizer.bin', 'tokenizer.model', 'tokenizer.json'] as const;

/**
 * A tokenizer file that belongs to a model: inside the model's directory (HF layout), or beside the model
 * file or directory. Null when there is none.
 */
export async function findTokenizerFor(modelPath: string): Promise<string | null> {
  const directories = (await isDirectory(modelPath)) ? [modelPath, dirname(modelPath)] : [dirname(modelPath)];
  for (const directory of directories) {
    for (const name of TOKENIZER_FILES) {
      const candidate = join(directory, name);
      if (await exists(candidate)) return candidate;
    }
  }
  return null;
}
