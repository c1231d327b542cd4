import { InMemoryTokenSource } from '@mini-llama/data';
import { ByteTokenizer, llama2Tokenizer, type Tokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import { documentBytes } from './document-bytes.js';

const documents = ['Grüße aus Köln', 'naïve café ☕', 'plain ascii text', '日本語のテキスト'];
const utf8 = (text: string) => new TextEncoder().encode(text).length;

/** Documents as prepared shards hold them: BOS + tokens each, concatenated. */
function stream(tokenizer: Tokenizer): InMemoryTokenSource {
  return new InMemoryTokenSource(
    Int32Array.from(documents.flatMap((doc) => tokenizer.encode(doc, { bos: true }))),
  );
}

describe('documentBytes', () => {
  const expected = documents.reduce((sum, doc) => sum + utf8(doc), 0);

  it('counts the UTF-8 bytes of byte-level documents, with chunks cutting through multi-byte characters', async () => {
    const tokenizer = new ByteTokenizer();
    for (const chunkTokens of [1, 3, 7, 1000]) {
      expect(await documentBytes(stream(tokenizer), tokenizer, { chunkTokens })).toBe(expected);
    }
  });

  it('counts SentencePiece documents exactly (byte fallback, no dummy-prefix space)', async () => {
    const tokenizer = await llama2Tokenizer();
    expect(await documentBytes(stream(tokenizer), tokenizer, { chunkTokens: 5 })).toBe(expected);
  });
});
