import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, haveLlama2Files, llama2Model, needsLlama2Files } from '../test/llama2-fixture.js';
import { llama2Tokenizer, PieceType, parseModelProto, type SentencePieceTokenizer } from './index.js';

describe('llama2Tokenizer (built in, from llama-tokenizer-js)', () => {
  let tokenizer: SentencePieceTokenizer;
  beforeAll(async () => {
    tokenizer = await llama2Tokenizer();
  });

  it(`encodes and decodes all ${fixture.cases.length} fixture texts as SentencePiece does`, () => {
    expect(tokenizer.vocabSize).toBe(fixture.vocab_size);
    expect([tokenizer.bosId, tokenizer.eosId]).toEqual([fixture.bos, fixture.eos]);
    for (const { text, ids, decoded } of fixture.cases) {
      expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(ids);
      expect(tokenizer.decode(ids), JSON.stringify(text)).toBe(decoded);
    }
    for (const { ids, text } of fixture.decodes) expect(tokenizer.decode(ids), String(ids)).toBe(text);
  });

  it('round-trips text exactly, spaces and newlines included', () => {
    for (const { text } of fixture.cases) {
      // SentencePiece maps "▁" in the input to a space; every other fixture text comes back unchanged.
      if (!text.includes('\u2581')) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  describe.skipIf(!haveLlama2Files)(needsLlama2Files("against Llama 2's tokenizer.model"), () => {
    it('has the same pieces and piece types', () => {
      const model = parseModelProto(new Uint8Array(readFileSync(llama2Model)));
      expect(tokenizer.model.pieces.map(({ piece }) => piece)).toEqual(
        model.pieces.map(({ piece }) => piece),
      );
      expect(tokenizer.model.pieces.map(({ type }) => type)).toEqual(model.pieces.map(({ type }) => type));
    });

    it('orders the pieces that merges make as the SentencePiece scores do', () => {
      const model = parseModelProto(new Uint8Array(readFileSync(llama2Model)));
      const merged = model.pieces
        .map((piece, id) => ({ id, length: [...piece.piece].length, type: piece.type }))
        .filter(({ length, type }) => length > 1 && type === PieceType.normal)
        .map(({ id }) => id)
        .sort((a, b) => tokenizer.score(b) - tokenizer.score(a));
      // Derived from merge ranks, the built-in scores are distinct where SentencePiece's runs of "▁" all
      // score −1e9; otherwise the order is the same.
      for (let i = 1; i < merged.length; i++) {
        expect(model.pieces[merged[i - 1]!]!.score).toBeGreaterThanOrEqual(model.pieces[merged[i]!]!.score);
      }
    });
  });
});
