// llama2.c's tokenizer.bin (https://github.com/karpathy/llama2.c, tokenizer.py `export`): int32
// max_token_length, then per token a float32 score, an int32 byte length and the UTF-8 bytes, little-endian.
// The export turns "▁" into a space and BOS/EOS into "\n<s>\n" / "\n</s>\n"; it keeps no piece types, so
// those are recovered from the names, and run.c's fixed ids (0 <unk>, 1 BOS, 2 EOS) are assumed.

import {
  DEFAULT_TRAINER_SPEC,
  IDENTITY_NORMALIZER,
  PieceType,
  parseBytePiece,
  type SentencePiece,
  type SentencePieceModel,
  SPACE_SYMBOL,
} from './sentence-piece-model.js';
import { SentencePieceTokenizer } from './sentence-piece-tokenizer.js';
import { TokenizerFileError } from './tokenizer.js';

const UNK = 0;
const BOS = 1;
const EOS = 2;
const EXPORTED_BOS = '\n<s>\n';
const EXPORTED_EOS = '\n</s>\n';

/** tokenizer.bin bytes → model. Errors name the file, the token and the byte offset. */
export function parseLlama2cTokenizer(bytes: Uint8Array, file = 'tokenizer.bin'): SentencePieceModel {
  if (bytes.byteLength < 4) throw new TokenizerFileError(file, 'too short for a llama2.c tokenizer header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0 || maxTokenLength > 1024) {
    throw new TokenizerFileError(
      file,
      `max_token_length ${maxTokenLength} is not plausible: not a tokenizer.bin`,
    );
  }
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // keep the piece U+FEFF
  const pieces: SentencePiece[] = [];
  let offset = 4;
  while (offset < bytes.byteLength) {
    if (offset + 8 > bytes.byteLength) {
      throw new TokenizerFileError(file, `truncated at byte ${offset} (token ${pieces.length})`);
    }
    const score = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    if (length < 0 || length > maxTokenLength || offset + length > bytes.byteLength) {
      throw new TokenizerFileError(
        file,
        `token ${pieces.length} has an invalid length ${length} at byte ${offset - 4}`,
      );
    }
    const text = decoder.decode(bytes.subarray(offset, offset + length));
    pieces.push(pieceOf(text, score, pieces.length));
    offset += length;
  }
  if (pieces.length < 3)
    throw new TokenizerFileError(file, `only ${pieces.length} tokens: not a tokenizer.bin`);
  return {
    pieces,
    trainerSpec: {
      ...DEFAULT_TRAINER_SPEC,
      vocabSize: pieces.length,
      byteFallback: pieces.filter(({ type }) => type === PieceType.byte).length === 256,
      unkId: UNK,
      bosId: BOS,
      eosId: EOS,
      unkPiece: pieces[UNK]!.piece,
      bosPiece: pieces[BOS]!.piece,
      eosPiece: pieces[EOS]!.piece,
    },
    normalizerSpec: { ...IDENTITY_NORMALIZER },
  };
}

function pieceOf(text: string, score: number, id: number): SentencePiece {
  if (id === UNK) return { piece: text, score, type: PieceType.unknown };
  if (id === BOS) return { piece: text === EXPORTED_BOS ? '<s>' : text, score, type: PieceType.control };
  if (id === EOS) return { piece: text === EXPORTED_EOS ? '</s>' : text, score, type: PieceType.control };
  if (parseBytePiece(text) !== null) return { piece: text, score, type: PieceType.byte };
  return { piece: text.replaceAll(' ', SPACE_SYMBOL), score, type: PieceType.normal };
}

/** Model → tokenizer.bin bytes, as llama2.c's tokenizer.py exports a tokenizer.model. */
export function writeLlama2cTokenizer(model: SentencePieceModel): Uint8Array {
  const { bosId, eosId } = model.trainerSpec;
  const encoder = new TextEncoder();
  const encoded = model.pieces.map(({ piece }, id) => {
    if (id === bosId) return encoder.encode(EXPORTED_BOS);
    if (id === eosId) return encoder.encode(EXPORTED_EOS);
    return encoder.encode(piece.replaceAll(SPACE_SYMBOL, ' '));
  });
  const bytes = new Uint8Array(4 + encoded.reduce((total, piece) => total + 8 + piece.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...encoded.map((piece) => piece.length)), true);
  let offset = 4;
  encoded.forEach((piece, id) => {
    view.setFloat32(offset, model.pieces[id]!.score, true);
    view.setInt32(offset + 4, piece.length, true);
    bytes.set(piece, offset + 8);
    offset += 8 + piece.length;
  });
  return bytes;
}

/** A llama2.c tokenizer.bin, encoded and decoded as SentencePiece would encode its tokenizer.model. */
export class Llama2cTokenizer extends SentencePieceTokenizer {
  static fromBytes(bytes: Uint8Array, file = 'tokenizer.bin'): Llama2cTokenizer {
    return new Llama2cTokenizer(parseLlama2cTokenizer(bytes, file), file);
  }
}
