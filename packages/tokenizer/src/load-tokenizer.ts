import { LLAMA2_TOKENIZER_NAME, llama2Tokenizer } from './llama2-tokenizer.js';
import { Llama2cTokenizer } from './llama2c-tokenizer.js';
import { parseModelProto } from './model-proto.js';
import { SentencePieceTokenizer } from './sentence-piece-tokenizer.js';
import { TokenizerFileError } from './tokenizer.js';
import { parseTokenizerJson } from './tokenizer-json.js';

const FORMATS = "a SentencePiece .model, an HF tokenizer .json, a llama2.c tokenizer .bin, or 'llama2'";

/**
 * Loads a tokenizer, picking the format from the file name: `.model` SentencePiece ModelProto, `.json` HF
 * tokenizers, `.bin` llama2.c; the name `llama2` is the built-in Llama 2 tokenizer. Node only (reads the disk).
 */
export async function loadTokenizer(path: string): Promise<SentencePieceTokenizer> {
  if (path === LLAMA2_TOKENIZER_NAME) return llama2Tokenizer();
  formatOf(path);
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new TokenizerFileError(path, `cannot read: ${(error as Error).message}`);
  }
  return tokenizerFromBytes(bytes, path);
}

/** A tokenizer file's bytes → tokenizer; `fileName` picks the format, as for `loadTokenizer`. Browser-safe. */
export function tokenizerFromBytes(bytes: Uint8Array, fileName: string): SentencePieceTokenizer {
  switch (formatOf(fileName)) {
    case 'model':
      return new SentencePieceTokenizer(parseModelProto(bytes, fileName), fileName);
    case 'json':
      return new SentencePieceTokenizer(
        parseTokenizerJson(new TextDecoder().decode(bytes), fileName),
        fileName,
      );
    case 'bin':
      return Llama2cTokenizer.fromBytes(bytes, fileName);
  }
}

function formatOf(fileName: string): 'model' | 'json' | 'bin' {
  const extension = /\.(model|json|bin)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'model' || extension === 'json' || extension === 'bin') return extension;
  throw new TokenizerFileError(fileName, `unknown tokenizer file type: expected ${FORMATS}`);
}
