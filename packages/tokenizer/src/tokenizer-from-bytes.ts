import { HfTokenizer, isByteLevelBpe } from './hf-tokenizer.js';
import { Llama2cTokenizer } from './llama2c-tokenizer.js';
import { parseModelProto } from './model-proto.js';
import { SentencePieceTokenizer } from './sentence-piece-tokenizer.js';
import { TokenizerFileError } from './tokenizer.js';
import { parseTokenizerConfig } from './tokenizer-config.js';
import { parseTokenizerJson } from './tokenizer-json.js';

export const TOKENIZER_FORMATS =
  "a SentencePiece .model, an HF tokenizer .json, a llama2.c tokenizer .bin, or 'llama2'";

/** A tokenizer read from a file: SentencePiece-style (Llama 2, TinyLlama, llama2.c) or byte-level BPE. */
export type FileTokenizer = SentencePieceTokenizer | HfTokenizer;

/** The tokenizer_config.json that sits beside a tokenizer.json, when there is one: its text and its name. */
export interface TokenizerConfigText {
  text: string;
  file: string;
}

/**
 * A tokenizer file's bytes → tokenizer; `fileName` picks the format, as for `loadTokenizer`. A tokenizer.json of
 * byte-level BPE (Llama 3, SmolLM, Qwen2, GPT-2) becomes an HfTokenizer, which takes BOS, EOS and the chat
 * template from `config`; a SentencePiece-style one a SentencePieceTokenizer. Browser-safe.
 */
export function tokenizerFromBytes(
  bytes: Uint8Array,
  fileName: string,
  config?: TokenizerConfigText,
): FileTokenizer {
  switch (tokenizerFormatOf(fileName)) {
    case 'model':
      return new SentencePieceTokenizer(parseModelProto(bytes, fileName), fileName);
    case 'json': {
      const text = new TextDecoder().decode(bytes);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new TokenizerFileError(fileName, `is not JSON: ${(error as Error).message}`);
      }
      if (isByteLevelBpe(json)) {
        const parsed = config ? parseTokenizerConfig(config.text, config.file) : null;
        return new HfTokenizer(json, parsed, fileName, config?.file);
      }
      return new SentencePieceTokenizer(parseTokenizerJson(text, fileName), fileName);
    }
    case 'bin':
      return Llama2cTokenizer.fromBytes(bytes, fileName);
  }
}

export function tokenizerFormatOf(fileName: string): 'model' | 'json' | 'bin' {
  const extension = /\.(model|json|bin)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'model' || extension === 'json' || extension === 'bin') return extension;
  throw new TokenizerFileError(fileName, `unknown tokenizer file type: expected ${TOKENIZER_FORMATS}`);
}
