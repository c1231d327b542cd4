import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeFileError } from '@mini-llama/formats/node';
import { ChatTemplate } from '../chat-template.js';
import { LLAMA2_TOKENIZER_NAME, llama2Tokenizer } from '../llama2-tokenizer.js';
import { TokenizerFileError } from '../tokenizer.js';
import { parseTokenizerConfig } from '../tokenizer-config.js';
import {
  type FileTokenizer,
  type TokenizerConfigText,
  tokenizerFormatOf,
  tokenizerFromBytes,
} from '../tokenizer-from-bytes.js';

/** The name transformers gives the tokenizer settings beside tokenizer.json. */
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/**
 * Loads a tokenizer, picking the format from the file name: `.model` SentencePiece ModelProto, `.json` HF
 * tokenizers (with the tokenizer_config.json beside it, when there is one), `.bin` llama2.c; the name `llama2` is
 * the built-in Llama 2 tokenizer.
 */
export async function loadTokenizer(path: string): Promise<FileTokenizer> {
  if (path === LLAMA2_TOKENIZER_NAME) return llama2Tokenizer();
  tokenizerFormatOf(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new TokenizerFileError(path, `cannot read: ${describeFileError(error)}`);
  }
  const config = tokenizerFormatOf(path) === 'json' ? await readTokenizerConfig(path) : undefined;
  return tokenizerFromBytes(bytes, path, config);
}

/** The chat template in the tokenizer_config.json beside a tokenizer file, or null when there is none. */
export async function loadChatTemplate(tokenizerPath: string): Promise<ChatTemplate | null> {
  if (tokenizerPath === LLAMA2_TOKENIZER_NAME) return null;
  const config = await readTokenizerConfig(tokenizerPath);
  if (!config) return null;
  const parsed = parseTokenizerConfig(config.text, config.file);
  if (!parsed.chatTemplate) return null;
  return new ChatTemplate(
    parsed.chatTemplate,
    { bos_token: parsed.bosToken, eos_token: parsed.eosToken, pad_token: parsed.padToken },
    config.file,
  );
}

async function readTokenizerConfig(tokenizerPath: string): Promise<TokenizerConfigText | undefined> {
  const file = join(dirname(tokenizerPath), TOKENIZER_CONFIG_FILE);
  try {
    return { text: await readFile(file, 'utf8'), file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerFileError(file, `cannot read: ${describeFileError(error)}`);
  }
}
