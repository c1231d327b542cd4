import type { Tokenizer } from '@mini-llama/tokenizer';

/**
 * One document's ids as pretraining sees them: BOS, then the text, no EOS. llama2.c's tinystories.py does
 * the same (`enc.encode(text, bos=True, eos=False)`): BOS marks where a new document starts, so the model
 * learns not to carry context across it.
 */
export function encodeDocument(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, { bos: true, eos: false });
}

/** Documents → one int32 token stream (each as `encodeDocument`), for corpora small enough for memory. */
export function packDocuments(tokenizer: Tokenizer, documents: Iterable<string>): Int32Array {
  const parts: number[][] = [];
  let total = 0;
  for (const text of documents) {
    const ids = encodeDocument(tokenizer, text);
    parts.push(ids);
    total += ids.length;
  }
  const stream = new Int32Array(total);
  let offset = 0;
  for (const ids of parts) {
    stream.set(ids, offset);
    offset += ids.length;
  }
  return stream;
}
