import type { TokenSource } from '@mini-llama/data';
import type { Tokenizer } from '@mini-llama/tokenizer';

export interface DocumentBytesOptions {
  /** Tokens read at a time (default 65,536). */
  chunkTokens?: number;
}

/**
 * UTF-8 bytes of the text a token stream encodes: the stream is cut into documents at each BOS (prepared
 * shards hold BOS + tokens per document), each document is decoded on its own and its bytes counted. Decoding
 * whole documents, not single tokens, keeps byte-fallback pieces and SentencePiece's dummy-prefix space exact.
 * Reads the stream once, a chunk at a time, holding one document at most.
 */
export async function documentBytes(
  source: TokenSource,
  tokenizer: Tokenizer,
  { chunkTokens = 65_536 }: DocumentBytesOptions = {},
): Promise<number> {
  if (!Number.isInteger(chunkTokens) || chunkTokens <= 0) {
    throw new RangeError(`documentBytes: chunkTokens must be a positive integer, got ${chunkTokens}`);
  }
  const encoder = new TextEncoder();
  let bytes = 0;
  let document: number[] = [];
  const finish = () => {
    if (document.length > 0) bytes += encoder.encode(tokenizer.decode(document)).length;
    document = [];
  };
  for (let start = 0; start < source.length; start += chunkTokens) {
    for (const id of await source.read(start, Math.min(chunkTokens, source.length - start))) {
      if (id === tokenizer.bosId) finish();
      else document.push(id);
    }
  }
  finish();
  return bytes;
}
