import { dirname, join, resolve } from 'node:path';
import { ByteTokenizer, type Tokenizer } from '@mini-llama/tokenizer';
import { loadTokenizer } from '@mini-llama/tokenizer/node';
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

/** Names that stand for a built-in tokenizer rather than a file. */
export const BUILT_IN_TOKENIZERS = ['bytes', 'llama2'] as const;

/**
 * A --tokenizer value: `bytes` (one token per UTF-8 byte), `llama2` (Llama 2's vocabulary, shipped with the
 * tokenizer package), or a tokenizer file; `file` is its absolute path, null for the built-in ones.
 */
export async function openTokenizer(
  value: string,
  cwd: string,
): Promise<{ tokenizer: Tokenizer; file: string | null }> {
  if (value === 'bytes') return { tokenizer: new ByteTokenizer(), file: null };
  if (value === 'llama2') return { tokenizer: await loadTokenizer('llama2'), file: null };
  const file = resolve(cwd, value);
  return { tokenizer: await loadTokenizer(file), file };
}
