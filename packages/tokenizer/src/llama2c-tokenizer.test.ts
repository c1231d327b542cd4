import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveLlama2Files, llama2Bin, llama2Model, needsLlama2Files } from '../test/llama2-fixture.js';
import {
  Llama2cTokenizer,
  PieceType,
  parseLlama2cTokenizer,
  parseModelProto,
  type SentencePieceModel,
  TokenizerFileError,
  writeLlama2cTokenizer,
} from './index.js';

describe.skipIf(!haveLlama2Files)(needsLlama2Files(`llama2.c's tokenizer.bin of Llama 2`), () => {
  let model: SentencePieceModel;
  let bin: Uint8Array;
  beforeAll(() => {
    model = parseModelProto(new Uint8Array(readFileSync(llama2Model)));
    bin = new Uint8Array(readFileSync(llama2Bin));
  });

  it("is what writeLlama2cTokenizer makes of tokenizer.model, byte for byte (llama2.c's export)", () => {
    expect(Buffer.from(writeLlama2cTokenizer(model)).equals(Buffer.from(bin))).toBe(true);
  });

  it("reads back the model's pieces, scores and types", () => {
    const parsed = parseLlama2cTokenizer(bin);
    expect(parsed.pieces).toEqual(model.pieces);
    expect(parsed.trainerSpec).toMatchObject({
      byteFallback: true,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      vocabSize: 32000,
    });
  });
});

/** A tokenizer.bin of llama2.c's layout: int32 max length, then per token float32 score, int32 length, bytes. */
function binOf(tokens: [string, number][]): Uint8Array {
  const encoded = tokens.map(([piece]) => new TextEncoder().encode(piece));
  const bytes = new Uint8Array(4 + encoded.reduce((total, piece) => total + 8 + piece.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...encoded.map((piece) => piece.length)), true);
  let offset = 4;
  encoded.forEach((piece, id) => {
    view.setFloat32(offset, tokens[id]![1], true);
    view.setInt32(offset + 4, piece.length, true);
    bytes.set(piece, offset + 8);
    offset += 8 + piece.length;
  });
  return bytes;
}

describe('Llama2cTokenizer', () => {
  // No byte pieces, so no byte fallback: characters without a piece are <unk>, a run of them one <unk>.
  const tokenizer = Llama2cTokenizer.fromBytes(
    binOf([
      ['<unk>', 0],
      ['<s>', 0],
      ['</s>', 0],
      [' ', -10],
      ['a', -10],
      ['b', -10],
      [' a', -1],
      ['ab', -2],
      [' ab', -3],
    ]),
    'tiny.bin',
  );

  it('reads spaces as "▁" and recovers the piece types from llama2.c\'s fixed ids and the names', () => {
    expect(tokenizer.idToPiece(6)).toBe('▁a');
    expect(tokenizer.model.pieces.map(({ type }) => type).slice(0, 4)).toEqual([
      PieceType.unknown,
      PieceType.control,
      PieceType.control,
      PieceType.normal,
    ]);
    expect(tokenizer.model.trainerSpec.byteFallback).toBe(false);
  });

  it('merges by score: " a" (−1) before "ab" (−2), then " ab" (−3)', () => {
    // "▁abab": ▁a wins first, then the second a+b, then ▁a+b → ▁ab.
    expect(tokenizer.encode('abab')).toEqual([8, 7]);
    expect(tokenizer.decode([8, 7])).toBe('abab');
  });

  it('fuses a run of unknown characters into one <unk>, as SentencePiece without byte fallback', () => {
    expect(tokenizer.encode('a xyz b')).toEqual([6, 3, 0, 3, 5]);
    expect(tokenizer.decode([6, 3, 0, 3, 5])).toBe('a  ⁇  b');
  });

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

  it('rejects a file with fewer than the three special tokens', () => {
    expect(() => Llama2cTokenizer.fromBytes(binOf([['<unk>', 0]]), 'one.bin')).toThrow(
      /one\.bin: only 1 tokens/,
    );
  });
});
