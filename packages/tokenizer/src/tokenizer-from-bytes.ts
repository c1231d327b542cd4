import { Llama2cTokenizer } from './llama2c-tokenizer.js';
import { parseModelProto } from './model-proto.js';
import { SentencePieceTokenizer } from './sentence-piece-tokenizer.js';
import { TokenizerFileError } from './tokenizer.js';
import { parseTokenizerJson } from './tokenizer-json.js';

export const TOKENIZER_FORMATS =
  "a SentencePiece .model, an HF tokenizer .json, a llama2.c tokenizer .bin, or 'llama2'";

/** A tokenizer file's bytes → tokenizer; `fileName` picks the format, as for `loadTokenizer`. Browser-safe. */
export function tokenizerFromBytes(bytes: Uint8Array, fileName: string): SentencePieceTokenizer {
  switch (tokenizerFormatOf(fileName)) {
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

export function tokenizerFormatOf(fileName: string): 'model' | 'json' | 'bin' {
  const extension = /\.(model|json|bin)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'model' || extension === 'json' || extension === 'bin') return extension;
  throw new TokenizerFileError(fileName, `unknown tokenizer file type: expected ${TOKENIZER_FORMATS}`);
}
