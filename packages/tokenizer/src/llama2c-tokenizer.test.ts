import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Llama2cTokenizer, loadTokenizer, TokenizerFileError } from './index.js';

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/sentencepiece-llama2.json', import.meta.url)), 'utf8'),
) as { vocab_size: number; cases: { text: string; ids: number[]; decoded: string }[] };
const tokenizerBin = fileURLToPath(
  new URL('../../../../shared/data/llama2-tokenizer/tokenizer.bin', import.meta.url),
);
const haveData = existsSync(tokenizerBin);

describe.skipIf(!haveData)(
  'Llama 2 tokenizer.bin (skipped: ../shared/data/llama2-tokenizer is absent)',
  () => {
    it.each(fixture.cases)('encodes $text as SentencePiece does', async ({ text, ids, decoded }) => {
      const tokenizer = await loadTokenizer(tokenizerBin);
      expect(tokenizer.vocabSize).toBe(fixture.vocab_size);
      expect(tokenizer.encode(text)).toEqual(ids);
      expect(tokenizer.decode(ids)).toBe(decoded);
    });

    it('adds BOS and EOS only when asked', async () => {
      const tokenizer = await loadTokenizer(tokenizerBin);
      expect(tokenizer.encode('Hello world', { bos: true, eos: true })).toEqual([1, 15043, 3186, 2]);
    });
  },
);

describe('Llama2cTokenizer errors', () => {
  it('rejects a file too short for a header', () => {
    expect(() => Llama2cTokenizer.fromBytes(new Uint8Array(2), 'short.bin')).toThrow(
      /short\.bin: too short for a llama2\.c tokenizer header/,
    );
  });

  it('rejects a truncated token record', () => {
    const bytes = new Uint8Array(4 + 8 + 2);
    const view = new DataView(bytes.buffer);
    view.setInt32(0, 16, true);
    view.setFloat32(4, 0, true);
    view.setInt32(8, 5, true); // says 5 bytes, only 2 follow
    expect(() => Llama2cTokenizer.fromBytes(bytes, 'cut.bin')).toThrow(TokenizerFileError);
    expect(() => Llama2cTokenizer.fromBytes(bytes, 'cut.bin')).toThrow(
      /cut\.bin: token 0 has an invalid length 5/,
    );
  });

  it('names a missing file', async () => {
    await expect(loadTokenizer('/nonexistent/tokenizer.bin')).rejects.toThrow(
      /\/nonexistent\/tokenizer\.bin: cannot read/,
    );
  });
});
