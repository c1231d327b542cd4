// The in-memory form of a SentencePiece model: what tokenizer.model, tokenizer.json and llama2.c's
// tokenizer.bin are read into and written from. Field names follow sentencepiece_model.proto
// (https://github.com/google/sentencepiece/blob/master/src/sentencepiece_model.proto), in camelCase.

/** `ModelProto.SentencePiece.Type`; the numbers are the protobuf enum's. */
export const PieceType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

export interface SentencePiece {
  piece: string;
  /** Higher merges first in BPE. */
  score: number;
  type: PieceType;
}

/** `TrainerSpec.ModelType`. Only BPE is encoded here. */
export const ModelType = { unigram: 1, bpe: 2, word: 3, char: 4 } as const;
export type ModelType = (typeof ModelType)[keyof typeof ModelType];

/** The TrainerSpec fields this package reads or writes; the rest of a file's TrainerSpec is not kept. */
export interface TrainerSpec {
  modelType: ModelType;
  vocabSize: number;
  /** Characters without a piece are spelled as <0xXX> byte pieces instead of <unk>. */
  byteFallback: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number; // -1: none, as in Llama 2
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  /** What decode prints for <unk>: " ⁇ " by default. */
  unkSurface: string;
  /** Training settings, written so that `spm_train` users can see how a model was made. */
  characterCoverage: number;
  maxSentencepieceLength: number;
  splitByUnicodeScript: boolean;
  splitByWhitespace: boolean;
  splitDigits: boolean;
  allowWhitespaceOnlyPieces: boolean;
  treatWhitespaceAsSuffix: boolean;
}

export interface NormalizerSpec {
  /** "identity" for Llama 2 and for the models trained here. */
  name: string;
  /** SentencePiece's compiled normalization rules; empty for identity. */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
}

/** sentencepiece_model.proto's defaults, except those noted. */
export const DEFAULT_TRAINER_SPEC: TrainerSpec = {
  modelType: ModelType.bpe, // the proto's default is UNIGRAM
  vocabSize: 8000,
  byteFallback: false,
  unkId: 0,
  bosId: 1,
  eosId: 2,
  padId: -1,
  unkPiece: '<unk>',
  bosPiece: '<s>',
  eosPiece: '</s>',
  padPiece: '<pad>',
  unkSurface: ' \u2047 ',
  characterCoverage: 0.9995,
  maxSentencepieceLength: 16,
  splitByUnicodeScript: true,
  splitByWhitespace: true,
  splitDigits: false,
  allowWhitespaceOnlyPieces: false,
  treatWhitespaceAsSuffix: false,
};

/** Llama 2's normalizer (and llama2.c's train_vocab.sh): no Unicode normalization, spaces kept as they are. */
export const IDENTITY_NORMALIZER: NormalizerSpec = {
  name: 'identity',
  precompiledCharsmap: new Uint8Array(0),
  addDummyPrefix: true,
  removeExtraWhitespaces: false,
  escapeWhitespaces: true,
};

/** U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's stand-in for a space inside pieces. */
export const SPACE_SYMBOL = '\u2581';

/** 0x0A → "<0x0A>", SentencePiece's name for a byte piece. */
export function bytePiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

/** "<0x0A>" → 10; null for any other piece. */
export function parseBytePiece(piece: string): number | null {
  const match = BYTE_PIECE.exec(piece);
  return match ? Number.parseInt(match[1]!, 16) : null;
}
