import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveLlama2Files, llama2Model, needsLlama2Files } from '../test/llama2-fixture.js';
import {
  DEFAULT_TRAINER_SPEC,
  IDENTITY_NORMALIZER,
  ModelType,
  PieceType,
  parseModelProto,
  type SentencePieceModel,
  TokenizerFileError,
  writeModelProto,
} from './index.js';
import { ProtobufWriter } from './protobuf-wire.js';

const small: SentencePieceModel = {
  pieces: [
    { piece: '<unk>', score: 0, type: PieceType.unknown },
    { piece: '<s>', score: 0, type: PieceType.control },
    { piece: '</s>', score: 0, type: PieceType.control },
    { piece: '▁', score: -2, type: PieceType.normal },
    { piece: '\uFEFF', score: -3, type: PieceType.normal },
    { piece: '▁日本', score: -0.5, type: PieceType.userDefined },
  ],
  trainerSpec: { ...DEFAULT_TRAINER_SPEC, vocabSize: 6, characterCoverage: 1 }, // 0.9995 is not a float32
  normalizerSpec: { ...IDENTITY_NORMALIZER },
};

describe('tokenizer.model (SentencePiece ModelProto)', () => {
  it('round-trips a model through writeModelProto and parseModelProto', () => {
    expect(parseModelProto(writeModelProto(small))).toEqual(small);
  });

  describe.skipIf(!haveLlama2Files)(needsLlama2Files(`Llama 2's tokenizer.model`), () => {
    let bytes: Uint8Array;
    let model: SentencePieceModel;
    beforeAll(() => {
      bytes = new Uint8Array(readFileSync(llama2Model));
      model = parseModelProto(bytes, llama2Model);
    });

    it('reads the pieces and specs that SentencePiece reports', () => {
      expect(model.pieces).toHaveLength(32000);
      expect(model.pieces[3]).toEqual({ piece: '<0x00>', score: 0, type: PieceType.byte });
      expect(model.pieces[259]).toEqual({ piece: '▁▁', score: -1e9, type: PieceType.normal });
      expect(model.pieces[260]).toEqual({ piece: '▁t', score: -1, type: PieceType.normal });
      expect(model.pieces[30143]!.piece).toBe('\uFEFF'); // a byte order mark survives decoding
      expect(model.trainerSpec).toMatchObject({
        modelType: ModelType.bpe,
        vocabSize: 32000,
        byteFallback: true,
        unkId: 0,
        bosId: 1,
        eosId: 2,
        padId: -1,
        unkSurface: ' \u2047 ',
        allowWhitespaceOnlyPieces: true,
        splitDigits: true,
      });
      expect(model.normalizerSpec).toMatchObject({
        name: 'identity',
        addDummyPrefix: true,
        removeExtraWhitespaces: false,
        escapeWhitespaces: true,
      });
    });

    it('names the file and the field where a truncated file breaks off', () => {
      expect(() => parseModelProto(bytes.subarray(0, 1000), 'cut.model')).toThrow(TokenizerFileError);
      expect(() => parseModelProto(bytes.subarray(0, 1000), 'cut.model')).toThrow(
        /^cut\.model: not a valid SentencePiece model: ModelProto: field 1 is truncated: needs \d+ bytes, \d+ left at byte 99\d/,
      );
    });
  });

  it('rejects bytes that are not a ModelProto, naming the file', () => {
    expect(() => parseModelProto(new TextEncoder().encode('{"model": {}}'), 'x.model')).toThrow(
      /^x\.model: not a valid SentencePiece model: ModelProto: field 15 has wire type 3/,
    );
    expect(() => parseModelProto(new Uint8Array(0), 'empty.model')).toThrow(
      'empty.model: not a valid SentencePiece model: ModelProto.pieces: no pieces found at byte 0',
    );
  });

  it('names a missing piece string, an unknown piece type and a missing trainer_spec', () => {
    const withPiece = (piece: ProtobufWriter) => new ProtobufWriter().message(1, piece).finish();
    expect(() => parseModelProto(withPiece(new ProtobufWriter().float(2, 0)), 'a.model')).toThrow(
      'a.model: not a valid SentencePiece model: pieces[0].piece: missing at byte 0',
    );
    expect(() =>
      parseModelProto(withPiece(new ProtobufWriter().string(1, 'x').int32(3, 9)), 'b.model'),
    ).toThrow('b.model: not a valid SentencePiece model: pieces[0].type: unknown piece type 9 at byte 5');
    expect(() => parseModelProto(withPiece(new ProtobufWriter().string(1, 'x')), 'c.model')).toThrow(
      'c.model: not a valid SentencePiece model: ModelProto.trainer_spec: missing at byte 5',
    );
    expect(() => parseModelProto(withPiece(new ProtobufWriter().int32(1, 5)), 'd.model')).toThrow(
      'd.model: not a valid SentencePiece model: pieces[0].piece: expected a length-delimited field (wire type 2), found wire type 0 at byte 2',
    );
  });
});
