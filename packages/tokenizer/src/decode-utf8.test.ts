import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from './decode-utf8.js';

describe('decodeUtf8', () => {
  it('decodes valid UTF-8 as TextDecoder does', () => {
    const text = 'a é 日 🦙 \u0000 \uFEFF';
    expect(decodeUtf8([...new TextEncoder().encode(text)])).toBe(text);
  });

  // Expected strings from SentencePiece 0.1.97 (test/fixtures/sentencepiece-llama2.json "decodes").
  it('replaces each byte that starts no valid sequence with one U+FFFD, as SentencePiece', () => {
    expect(decodeUtf8([0xe6, 0x97])).toBe('\uFFFD\uFFFD'); // cut short
    expect(decodeUtf8([0xc0, 0x80])).toBe('\uFFFD\uFFFD'); // overlong
    expect(decodeUtf8([0xed, 0xa0, 0x80])).toBe('\uFFFD\uFFFD\uFFFD'); // a surrogate
    expect(decodeUtf8([0xf4, 0x90, 0x80, 0x80])).toBe('\uFFFD\uFFFD\uFFFD\uFFFD'); // above U+10FFFF
    expect(decodeUtf8([0xff, 0x41])).toBe('\uFFFDA');
  });
});
