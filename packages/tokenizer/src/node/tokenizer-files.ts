import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describeFileError } from '@mini-llama/formats/node';
import { ByteTokenizer } from '../byte-tokenizer.js';
import { type Tokenizer, TokenizerFileError } from '../tokenizer.js';
import { tokenizerFormatOf } from '../tokenizer-from-bytes.js';
import { loadTokenizer, TOKENIZER_CONFIG_FILE } from './load-tokenizer.js';

/** File names a tokenizer is looked for under, in this order (llama2.c, SentencePiece, HF tokenizers). */
export const TOKENIZER_FILES = ['tokenizer.bin', 'tokenizer.model', 'tokenizer.json'] as const;

/** Names that stand for a built-in tokenizer rather than a file. */
export const BUILT_IN_TOKENIZERS = ['bytes', 'llama2'] as const;

/**
 * A tokenizer file that belongs to a model: inside the model's directory (HF layout), or beside the model
 * file or directory. Null when there is none.
 */
export async function findTokenizerFor(modelPath: string): Promise<string | null> {
  const directories = (await isDirectory(modelPath)) ? [modelPath, dirname(modelPath)] : [dirname(modelPath)];
  for (const directory of directories) {
    for (const name of TOKENIZER_FILES) {
      const candidate = join(directory, name);
      if (await isFile(candidate)) return candidate;
    }
  }
  return null;
}

/**
 * A tokenizer by name or path: `bytes` (one token per UTF-8 byte), `llama2` (Llama 2's vocabulary, shipped with
 * this package), or a tokenizer file (taken from `cwd` when relative); `file` is its absolute path, null for
 * the built-in ones.
 */
export async function openTokenizer(
  value: string,
  cwd = process.cwd(),
): Promise<{ tokenizer: Tokenizer; file: string | null }> {
  if (value === 'bytes') return { tokenizer: new ByteTokenizer(), file: null };
  if (value === 'llama2') return { tokenizer: await loadTokenizer('llama2'), file: null };
  const file = resolve(cwd, value);
  return { tokenizer: await loadTokenizer(file), file };
}

/**
 * A model's tokenizer: `given` (a name or path, see openTokenizer) when set, else the tokenizer file in or
 * beside the model (findTokenizerFor). Without either: null, or, when `required` says why one is needed, an
 * error saying that and where it looked. `name` is how to refer to it in messages.
 */
export async function tokenizerForModel(
  modelPath: string,
  {
    given,
    cwd = process.cwd(),
    required = null,
  }: { given?: string; cwd?: string; required?: string | null } = {},
): Promise<{ tokenizer: Tokenizer; name: string; file: string | null } | null> {
  if (given) return { ...(await openTokenizer(given, cwd)), name: given };
  const found = await findTokenizerFor(modelPath);
  if (found) return { tokenizer: await loadTokenizer(found), name: found, file: found };
  if (required === null) return null;
  throw new Error(
    `${required}, and no tokenizer was found next to ${modelPath} (looked for ${TOKENIZER_FILES.join(', ')}): pass --tokenizer PATH, bytes or llama2`,
  );
}

/**
 * Copies a tokenizer file into `directory` under the name `findTokenizerFor` looks for (tokenizer.model,
 * tokenizer.json or tokenizer.bin by its format), whatever it was called: a model saved with its tokenizer
 * then finds it. Returns the copy's path.
 */
export async function copyTokenizerTo(file: string, directory: string): Promise<string> {
  const format = tokenizerFormatOf(file);
  const target = join(directory, `tokenizer.${format}`);
  if (resolve(file) === resolve(target)) return target;
  await mkdir(directory, { recursive: true });
  await copyFile(file, target).catch((error: unknown) => {
    throw new TokenizerFileError(file, `cannot copy to ${target}: ${describeFileError(error)}`);
  });
  // A tokenizer.json's settings (BOS, EOS, chat template) travel with it.
  const config = join(dirname(file), TOKENIZER_CONFIG_FILE);
  if (format === 'json' && (await isFile(config))) {
    await copyFile(config, join(directory, TOKENIZER_CONFIG_FILE)).catch((error: unknown) => {
      throw new TokenizerFileError(config, `cannot copy to ${directory}: ${describeFileError(error)}`);
    });
  }
  return target;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}
