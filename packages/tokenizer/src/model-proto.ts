// SentencePiece's tokenizer.model: a protobuf ModelProto. Field numbers are sentencepiece_model.proto's
// (https://github.com/google/sentencepiece/blob/master/src/sentencepiece_model.proto); fields not listed in
// SentencePieceModel are skipped on reading and not written.

import {
  FieldReader,
  ProtobufError,
  type ProtobufField,
  ProtobufWriter,
  readFields,
} from './protobuf-wire.js';
import {
  DEFAULT_TRAINER_SPEC,
  ModelType,
  type NormalizerSpec,
  PieceType,
  type SentencePiece,
  type SentencePieceModel,
  type TrainerSpec,
} from './sentence-piece-model.js';
import { TokenizerFileError } from './tokenizer.js';

const MODEL = { pieces: 1, trainerSpec: 2, normalizerSpec: 3 } as const;
const PIECE = { piece: 1, score: 2, type: 3 } as const;
const TRAINER = {
  modelType: 3,
  vocabSize: 4,
  characterCoverage: 10,
  maxSentencepieceLength: 20,
  splitByUnicodeScript: 21,
  splitByWhitespace: 22,
  treatWhitespaceAsSuffix: 24,
  splitDigits: 25,
  allowWhitespaceOnlyPieces: 26,
  byteFallback: 35,
  unkId: 40,
  bosId: 41,
  eosId: 42,
  padId: 43,
  unkSurface: 44,
  unkPiece: 45,
  bosPiece: 46,
  eosPiece: 47,
  padPiece: 48,
} as const;
const NORMALIZER = {
  name: 1,
  precompiledCharsmap: 2,
  addDummyPrefix: 3,
  removeExtraWhitespaces: 4,
  escapeWhitespaces: 5,
} as const;

/** The proto's own defaults, for a file that leaves a field out. */
const PROTO_TRAINER_DEFAULTS: TrainerSpec = { ...DEFAULT_TRAINER_SPEC, modelType: ModelType.unigram };
const PROTO_NORMALIZER_DEFAULTS: NormalizerSpec = {
  name: '',
  precompiledCharsmap: new Uint8Array(0),
  addDummyPrefix: true,
  removeExtraWhitespaces: true,
  escapeWhitespaces: true,
};

const PIECE_TYPES = new Set<number>(Object.values(PieceType));

/** tokenizer.model bytes → model. Errors name the file, the field and the byte offset. */
export function parseModelProto(bytes: Uint8Array, file = 'tokenizer.model'): SentencePieceModel {
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof ProtobufError) {
      throw new TokenizerFileError(file, `not a valid SentencePiece model: ${error.message}`);
    }
    throw error;
  }
}

function parse(bytes: Uint8Array): SentencePieceModel {
  const pieces: SentencePiece[] = [];
  let trainerSpec: TrainerSpec | null = null;
  let normalizerSpec: NormalizerSpec | null = null;
  const model = new FieldReader('ModelProto');
  for (const field of readFields(bytes, 'ModelProto')) {
    if (field.number === MODEL.pieces) {
      pieces.push(parsePiece(model.bytes(field, 'pieces'), `pieces[${pieces.length}]`, field));
    } else if (field.number === MODEL.trainerSpec) {
      trainerSpec = parseTrainerSpec(model.bytes(field, 'trainer_spec'), field);
    } else if (field.number === MODEL.normalizerSpec) {
      normalizerSpec = parseNormalizerSpec(model.bytes(field, 'normalizer_spec'), field);
    }
  }
  if (pieces.length === 0) throw new ProtobufError('ModelProto.pieces', 0, 'no pieces found');
  if (trainerSpec === null) throw new ProtobufError('ModelProto.trainer_spec', bytes.length, 'missing');
  return { pieces, trainerSpec, normalizerSpec: normalizerSpec ?? { ...PROTO_NORMALIZER_DEFAULTS } };
}

function parsePiece(bytes: Uint8Array, path: string, parent: ProtobufField): SentencePiece {
  const reader = new FieldReader(path);
  let piece: string | null = null;
  let score = 0;
  let type: number = PieceType.normal;
  let typeOffset = parent.offset;
  for (const field of readFields(bytes, path, parent.payloadOffset)) {
    if (field.number === PIECE.piece) piece = reader.string(field, 'piece');
    else if (field.number === PIECE.score) score = reader.float(field, 'score');
    else if (field.number === PIECE.type) {
      type = reader.int32(field, 'type');
      typeOffset = field.offset;
    }
  }
  if (piece === null) throw new ProtobufError(`${path}.piece`, parent.offset, 'missing');
  if (!PIECE_TYPES.has(type))
    throw new ProtobufError(`${path}.type`, typeOffset, `unknown piece type ${type}`);
  return { piece, score, type: type as PieceType };
}

function parseTrainerSpec(bytes: Uint8Array, parent: ProtobufField): TrainerSpec {
  const spec: TrainerSpec = { ...PROTO_TRAINER_DEFAULTS };
  const reader = new FieldReader('trainer_spec');
  for (const field of readFields(bytes, 'trainer_spec', parent.payloadOffset)) {
    switch (field.number) {
      case TRAINER.modelType:
        spec.modelType = reader.int32(field, 'model_type') as ModelType;
        break;
      case TRAINER.vocabSize:
        spec.vocabSize = reader.int32(field, 'vocab_size');
        break;
      case TRAINER.characterCoverage:
        spec.characterCoverage = reader.float(field, 'character_coverage');
        break;
      case TRAINER.maxSentencepieceLength:
        spec.maxSentencepieceLength = reader.int32(field, 'max_sentencepiece_length');
        break;
      case TRAINER.splitByUnicodeScript:
        spec.splitByUnicodeScript = reader.bool(field, 'split_by_unicode_script');
        break;
      case TRAINER.splitDigits:
        spec.splitDigits = reader.bool(field, 'split_digits');
        break;
      case TRAINER.splitByWhitespace:
        spec.splitByWhitespace = reader.bool(field, 'split_by_whitespace');
        break;
      case TRAINER.treatWhitespaceAsSuffix:
        spec.treatWhitespaceAsSuffix = reader.bool(field, 'treat_whitespace_as_suffix');
        break;
      case TRAINER.allowWhitespaceOnlyPieces:
        spec.allowWhitespaceOnlyPieces = reader.bool(field, 'allow_whitespace_only_pieces');
        break;
      case TRAINER.byteFallback:
        spec.byteFallback = reader.bool(field, 'byte_fallback');
        break;
      case TRAINER.unkId:
        spec.unkId = reader.int32(field, 'unk_id');
        break;
      case TRAINER.bosId:
        spec.bosId = reader.int32(field, 'bos_id');
        break;
      case TRAINER.eosId:
        spec.eosId = reader.int32(field, 'eos_id');
        break;
      case TRAINER.padId:
        spec.padId = reader.int32(field, 'pad_id');
        break;
      case TRAINER.unkSurface:
        spec.unkSurface = reader.string(field, 'unk_surface');
        break;
      case TRAINER.unkPiece:
        spec.unkPiece = reader.string(field, 'unk_piece');
        break;
      case TRAINER.bosPiece:
        spec.bosPiece = reader.string(field, 'bos_piece');
        break;
      case TRAINER.eosPiece:
        spec.eosPiece = reader.string(field, 'eos_piece');
        break;
      case TRAINER.padPiece:
        spec.padPiece = reader.string(field, 'pad_piece');
        break;
    }
  }
  return spec;
}

function parseNormalizerSpec(bytes: Uint8Array, parent: ProtobufField): NormalizerSpec {
  const spec: NormalizerSpec = { ...PROTO_NORMALIZER_DEFAULTS };
  const reader = new FieldReader('normalizer_spec');
  for (const field of readFields(bytes, 'normalizer_spec', parent.payloadOffset)) {
    switch (field.number) {
      case NORMALIZER.name:
        spec.name = reader.string(field, 'name');
        break;
      case NORMALIZER.precompiledCharsmap:
        spec.precompiledCharsmap = reader.bytes(field, 'precompiled_charsmap').slice();
        break;
      case NORMALIZER.addDummyPrefix:
        spec.addDummyPrefix = reader.bool(field, 'add_dummy_prefix');
        break;
      case NORMALIZER.removeExtraWhitespaces:
        spec.removeExtraWhitespaces = reader.bool(field, 'remove_extra_whitespaces');
        break;
      case NORMALIZER.escapeWhitespaces:
        spec.escapeWhitespaces = reader.bool(field, 'escape_whitespaces');
        break;
    }
  }
  return spec;
}

/** Model → tokenizer.model bytes that SentencePiece's own loader accepts. */
export function writeModelProto(model: SentencePieceModel): Uint8Array {
  const root = new ProtobufWriter();
  for (const { piece, score, type } of model.pieces) {
    const message = new ProtobufWriter().string(PIECE.piece, piece).float(PIECE.score, score);
    if (type !== PieceType.normal) message.int32(PIECE.type, type);
    root.message(MODEL.pieces, message);
  }
  const trainer = model.trainerSpec;
  root.message(
    MODEL.trainerSpec,
    new ProtobufWriter()
      .int32(TRAINER.modelType, trainer.modelType)
      .int32(TRAINER.vocabSize, trainer.vocabSize)
      .float(TRAINER.characterCoverage, trainer.characterCoverage)
      .int32(TRAINER.maxSentencepieceLength, trainer.maxSentencepieceLength)
      .bool(TRAINER.splitByUnicodeScript, trainer.splitByUnicodeScript)
      .bool(TRAINER.splitByWhitespace, trainer.splitByWhitespace)
      .bool(TRAINER.treatWhitespaceAsSuffix, trainer.treatWhitespaceAsSuffix)
      .bool(TRAINER.splitDigits, trainer.splitDigits)
      .bool(TRAINER.allowWhitespaceOnlyPieces, trainer.allowWhitespaceOnlyPieces)
      .bool(TRAINER.byteFallback, trainer.byteFallback)
      .int32(TRAINER.unkId, trainer.unkId)
      .int32(TRAINER.bosId, trainer.bosId)
      .int32(TRAINER.eosId, trainer.eosId)
      .int32(TRAINER.padId, trainer.padId)
      .string(TRAINER.unkSurface, trainer.unkSurface)
      .string(TRAINER.unkPiece, trainer.unkPiece)
      .string(TRAINER.bosPiece, trainer.bosPiece)
      .string(TRAINER.eosPiece, trainer.eosPiece)
      .string(TRAINER.padPiece, trainer.padPiece),
  );
  const normalizer = model.normalizerSpec;
  const normalizerMessage = new ProtobufWriter().string(NORMALIZER.name, normalizer.name);
  if (normalizer.precompiledCharsmap.length > 0) {
    normalizerMessage.bytes(NORMALIZER.precompiledCharsmap, normalizer.precompiledCharsmap);
  }
  normalizerMessage
    .bool(NORMALIZER.addDummyPrefix, normalizer.addDummyPrefix)
    .bool(NORMALIZER.removeExtraWhitespaces, normalizer.removeExtraWhitespaces)
    .bool(NORMALIZER.escapeWhitespaces, normalizer.escapeWhitespaces);
  root.message(MODEL.normalizerSpec, normalizerMessage);
  return root.finish();
}
