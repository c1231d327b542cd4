import { readFile } from 'node:fs/promises';
import { describeFileError } from '@mini-llama/formats/node';
import { LLAMA2_TOKENIZER_NAME, llama2Tokenizer } from '../llama2-tokenizer.js';
import type { SentencePieceTokenizer } from '../sentence-piece-tokenizer.js';
import { TokenizerFileError } from '../tokenizer.js';
import { tokenizerFormatOf, tokenizerFromBytes } from '../tokenizer-from-bytes.js';

/**
 * Loads a tokenizer, picking the format from the file name: `.model` SentencePiece ModelProto, `.json` HF
 * tokenizers, `.bin` llama2.c; the name `llama2` is the built-in Llama 2 tokenizer.
 */
export async function loadTokenizer(path: string): Promise<SentencePieceTokenizer> {
  if (path === LLAMA2_TOKENIZER_NAME) return llama2Tokenizer();
  tokenizerFormatOf(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new TokenizerFileError(path, `cannot read: ${describeFileError(error)}`);
  }
  return tokenizerFromBytes(bytes, path);
}
