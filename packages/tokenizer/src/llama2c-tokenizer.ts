import { type EncodeOptions, type Tokenizer, TokenizerFileError } from './tokenizer.js';

const UNK = 0;
const BOS = 1;
const EOS = 2;
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * A SentencePiece BPE vocabulary in llama2.c's `tokenizer.bin` layout: int32 max_token_length, then per
 * token float32 score, int32 byte length, UTF-8 bytes (with "▁" already turned into a space, as llama2.c's
 * tokenizer.py exports it). Encoding is llama2.c's: a dummy-prefix space, one piece per code point (bytes as
 * <0xXX> pieces when a code point has none), then repeatedly merge the adjacent pair whose merged piece has
 * the highest score, the leftmost on ties.
 */
export class Llama2cTokenizer implements Tokenizer {
  readonly pieces: string[];
  readonly scores: Float32Array;
  readonly vocabSize: number;
  readonly bosId = BOS;
  readonly eosId = EOS;
  readonly unkId = UNK;
  private readonly idOfPiece: Map<string, number>;
  private readonly byteOfId: Map<number, number>;

  constructor(pieces: string[], scores: Float32Array) {
    this.pieces = pieces;
    this.scores = scores;
    this.vocabSize = pieces.length;
    this.idOfPiece = new Map();
    this.byteOfId = new Map();
    pieces.forEach((piece, id) => {
      if (!this.idOfPiece.has(piece)) this.idOfPiece.set(piece, id);
      const byte = BYTE_PIECE.exec(piece);
      if (byte) this.byteOfId.set(id, Number.parseInt(byte[1]!, 16));
    });
  }

  static fromBytes(bytes: Uint8Array, fileName = 'tokenizer.bin'): Llama2cTokenizer {
    if (bytes.byteLength < 4)
      throw new TokenizerFileError(fileName, 'too short for a llama2.c tokenizer header');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const maxTokenLength = view.getInt32(0, true);
    if (maxTokenLength <= 0 || maxTokenLength > 1024) {
      throw new TokenizerFileError(
        fileName,
        `max_token_length ${maxTokenLength} is not plausible: not a tokenizer.bin`,
      );
    }
    const decoder = new TextDecoder('utf-8', { fatal: false });
    const pieces: string[] = [];
    const scores: number[] = [];
    let offset = 4;
    while (offset < bytes.byteLength) {
      if (offset + 8 > bytes.byteLength) {
        throw new TokenizerFileError(fileName, `truncated at byte ${offset} (token ${pieces.length})`);
      }
      const score = view.getFloat32(offset, true);
      const length = view.getInt32(offset + 4, true);
      offset += 8;
      if (length < 0 || length > maxTokenLength || offset + length > bytes.byteLength) {
        throw new TokenizerFileError(
          fileName,
          `token ${pieces.length} has an invalid length ${length} at byte ${offset - 4}`,
        );
      }
      pieces.push(decoder.decode(bytes.subarray(offset, offset + length)));
      scores.push(score);
      offset += length;
    }
    if (pieces.length < 3)
      throw new TokenizerFileError(fileName, `only ${pieces.length} tokens: not a tokenizer.bin`);
    return new Llama2cTokenizer(pieces, Float32Array.from(scores));
  }

  encode(text: string, { bos = false, eos = false }: EncodeOptions = {}): number[] {
    const ids: number[] = bos ? [BOS] : [];
    const symbols: number[] = [];
    if (text.length > 0) {
      const prefix = this.idOfPiece.get(' ');
      if (prefix !== undefined) symbols.push(prefix);
    }
    for (const codePoint of text) {
      const id = this.idOfPiece.get(codePoint);
      if (id !== undefined) {
        symbols.push(id);
        continue;
      }
      for (const byte of new TextEncoder().encode(codePoint)) {
        symbols.push(this.idOfPiece.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`) ?? UNK);
      }
    }
    for (;;) {
      let bestScore = -Infinity;
      let bestId = -1;
      let bestAt = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const merged = this.idOfPiece.get(this.pieces[symbols[i]!]! + this.pieces[symbols[i + 1]!]!);
        if (merged !== undefined && this.scores[merged]! > bestScore) {
          bestScore = this.scores[merged]!;
          bestId = merged;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      symbols.splice(bestAt, 2, bestId);
    }
    ids.push(...symbols);
    if (eos) ids.push(EOS);
    return ids;
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    ids.forEach((id, i) => {
      if (id === BOS || id === EOS || id === UNK || id < 0 || id >= this.vocabSize) return;
      const byte = this.byteOfId.get(id);
      if (byte !== undefined) {
        bytes.push(byte);
        return;
      }
      let piece = this.pieces[id]!;
      // SentencePiece drops the dummy-prefix space of the first piece of a text.
      if ((i === 0 || ids[i - 1] === BOS) && piece.startsWith(' ')) piece = piece.slice(1);
      bytes.push(...encoder.encode(piece));
    });
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}
