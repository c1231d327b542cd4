import { decodeUtf8 } from './decode-utf8.js';
import { MergeQueue } from './merge-queue.js';
import {
  bytePiece,
  ModelType,
  PieceType,
  parseBytePiece,
  type SentencePieceModel,
  SPACE_SYMBOL,
} from './sentence-piece-model.js';
import { type EncodeOptions, type Tokenizer, TokenizerFileError } from './tokenizer.js';

// Word cache: TinyStories' first 1000 stories hold ~7k distinct words; clearing at this size bounds memory.
const CACHE_LIMIT = 1 << 16;
const CACHEABLE_LENGTH = 64; // longer words rarely repeat

/**
 * SentencePiece's BPE encoder and decoder (bpe_model.cc, sentencepiece_processor.cc), shared by every file
 * format. Encoding: normalize (spaces → "▁", a dummy-prefix "▁"), one symbol per character (its UTF-8 bytes
 * as <0xXX> pieces when the character has no piece and byte_fallback is on, else <unk>), then repeatedly
 * merge the adjacent pair whose merged piece has the highest score, the leftmost on ties.
 *
 * Speed: the merges run off a priority queue over a linked list of symbols (as bpe_model.cc), so a word costs
 * O(n log n), not O(n²). And when no piece has "▁" after another character (true of SentencePiece's
 * vocabularies: a piece is "▁"s then non-"▁"s), no merge can cross the start of a "▁" run, so the text is
 * encoded a word at a time with a cache of words already seen; the result is the same as encoding it whole.
 */
export class SentencePieceTokenizer implements Tokenizer {
  readonly model: SentencePieceModel;
  readonly vocabSize: number;
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** Whether the vocabulary allows encoding a word at a time (see the class comment). */
  readonly encodesByWord: boolean;

  private readonly pieces: string[];
  private readonly scores: Float32Array;
  private readonly types: Uint8Array;
  /** SentencePiece's PieceToId: control, unknown and byte pieces first, then the rest. */
  private readonly idOfPiece: Map<string, number>;
  /** left id · vocabSize + right id → the id of the piece they merge into. */
  private readonly merges: Map<number, number>;
  private readonly byteIds: Int32Array;
  private readonly byteOfId: Int16Array;
  /** First character → user-defined pieces starting with it, longest first: matched before BPE. */
  private readonly userDefined: Map<string, string[]>;
  private readonly hasUnused: boolean;
  /** 1 for each UTF-16 unit found in a piece of two or more characters; a unit with 0 never merges. */
  private readonly joinable = new Uint8Array(0x10000);
  private readonly space: string;
  private readonly cache = new Map<string, number[]>();
  private readonly agenda = new MergeQueue();

  /** `source` names the file the model came from, for errors. */
  constructor(model: SentencePieceModel, source = 'tokenizer model') {
    const fail = (problem: string): never => {
      throw new TokenizerFileError(source, problem);
    };
    const { pieces, trainerSpec, normalizerSpec } = model;
    this.model = model;
    this.vocabSize = pieces.length;
    if (pieces.length === 0) fail('has no pieces');
    if (trainerSpec.modelType !== ModelType.bpe) {
      const name = Object.entries(ModelType).find(([, value]) => value === trainerSpec.modelType)?.[0];
      fail(`trainer_spec.model_type is ${name ?? trainerSpec.modelType}: only BPE models are supported`);
    }
    if (trainerSpec.treatWhitespaceAsSuffix) fail('trainer_spec.treat_whitespace_as_suffix is not supported');
    if (normalizerSpec.precompiledCharsmap.length > 0) {
      fail(
        `normalizer_spec.name is '${normalizerSpec.name}': SentencePiece's precompiled normalization rules are` +
          ' not implemented, only identity normalization (Llama 2, llama2.c and the trainer here use it)',
      );
    }
    this.pieces = pieces.map((piece) => piece.piece);
    this.scores = Float32Array.from(pieces, (piece) => piece.score);
    this.types = Uint8Array.from(pieces, (piece) => piece.type);

    const reserved = new Map<string, number>();
    const mergeable = new Map<string, number>();
    this.byteOfId = new Int16Array(pieces.length).fill(-1);
    this.userDefined = new Map();
    pieces.forEach(({ piece, type }, id) => {
      if (reserved.has(piece) || mergeable.has(piece)) fail(`piece ${id} '${piece}' is defined twice`);
      const isReserved = type === PieceType.control || type === PieceType.unknown || type === PieceType.byte;
      (isReserved ? reserved : mergeable).set(piece, id);
      if (type === PieceType.byte) {
        const byte = parseBytePiece(piece);
        if (byte === null) fail(`piece ${id} '${piece}' has type BYTE but is not named <0xXX>`);
        this.byteOfId[id] = byte!;
      }
      if (type === PieceType.userDefined && piece.length > 0) {
        const first = String.fromCodePoint(piece.codePointAt(0)!);
        this.userDefined.set(first, [...(this.userDefined.get(first) ?? []), piece]);
      }
    });
    for (const list of this.userDefined.values()) list.sort((a, b) => b.length - a.length);
    this.idOfPiece = new Map([...mergeable, ...reserved]);

    const checkSpecial = (id: number, field: string, optional: boolean): number => {
      if ((optional && id === -1) || (id >= 0 && id < pieces.length)) return id;
      return fail(`trainer_spec.${field} is ${id}, outside the ${pieces.length} pieces`);
    };
    this.unkId = checkSpecial(trainerSpec.unkId, 'unk_id', false);
    if (pieces[this.unkId]!.type !== PieceType.unknown) {
      fail(
        `trainer_spec.unk_id ${this.unkId} names '${pieces[this.unkId]!.piece}', which is not of type UNKNOWN`,
      );
    }
    this.bosId = checkSpecial(trainerSpec.bosId, 'bos_id', true);
    this.eosId = checkSpecial(trainerSpec.eosId, 'eos_id', true);
    this.padId = checkSpecial(trainerSpec.padId, 'pad_id', true);

    this.byteIds = new Int32Array(256).fill(-1);
    if (trainerSpec.byteFallback) {
      for (let byte = 0; byte < 256; byte++) {
        const id = reserved.get(bytePiece(byte));
        if (id === undefined || pieces[id]!.type !== PieceType.byte) {
          fail(`trainer_spec.byte_fallback is set but there is no byte piece ${bytePiece(byte)}`);
        }
        this.byteIds[byte] = id!;
      }
    }

    // Every way to spell a mergeable piece as two symbols (bpe_model.cc looks the concatenation up instead).
    // A symbol is a character or a mergeable piece, so a reserved piece is a half only as one character.
    this.merges = new Map();
    const size = pieces.length;
    const symbolId = (text: string): number | undefined =>
      mergeable.get(text) ?? ([...text].length === 1 ? reserved.get(text) : undefined);
    for (const [piece, merged] of mergeable) {
      for (let cut = 1; cut < piece.length; cut++) {
        if (isLowSurrogate(piece.charCodeAt(cut))) continue;
        const left = symbolId(piece.slice(0, cut));
        const right = symbolId(piece.slice(cut));
        if (left !== undefined && right !== undefined) this.merges.set(left * size + right, merged);
      }
    }
    this.hasUnused = pieces.some((piece) => piece.type === PieceType.unused);
    this.joinable.fill(1, 0xd800, 0xe000); // astral characters: never split at, to stay safe
    for (const piece of mergeable.keys()) {
      if (piece.length < 2) continue;
      for (let i = 0; i < piece.length; i++) this.joinable[piece.charCodeAt(i)] = 1;
    }
    this.space = normalizerSpec.escapeWhitespaces ? SPACE_SYMBOL : ' ';
    const wordShaped = new RegExp(`^${this.space}*[^${this.space}]*$`, 'u');
    // Unused pieces are resegmented from merges recorded over the whole text, so they need whole-text encoding.
    this.encodesByWord = !this.hasUnused && [...mergeable.keys()].every((piece) => wordShaped.test(piece));
  }

  /** The piece of an id ("▁the", "<0x0A>", "<s>"). */
  idToPiece(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined) throw new RangeError(`idToPiece: id ${id} is outside 0…${this.vocabSize - 1}`);
    return piece;
  }

  /** The id of a piece, or the <unk> id, as SentencePiece's PieceToId. */
  pieceToId(piece: string): number {
    return this.idOfPiece.get(piece) ?? this.unkId;
  }

  score(id: number): number {
    return this.scores[id] ?? Number.NaN;
  }

  /** Text as SentencePiece's normalizer leaves it: spaces as "▁", with the dummy prefix. */
  normalize(text: string): string {
    const { addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces } = this.model.normalizerSpec;
    let normalized = removeExtraWhitespaces ? text.replace(/^ +| +$/g, '').replace(/ {2,}/g, ' ') : text;
    if (normalized.length === 0) return '';
    if (escapeWhitespaces) normalized = normalized.replaceAll(' ', SPACE_SYMBOL);
    return addDummyPrefix ? this.space + normalized : normalized;
  }

  encode(text: string, { bos = false, eos = false }: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (bos) ids.push(this.special(this.bosId, 'BOS', 'bos_id'));
    const start = ids.length;
    const { addDummyPrefix, removeExtraWhitespaces } = this.model.normalizerSpec;
    if (this.encodesByWord && !removeExtraWhitespaces) {
      // The common case (Llama 2's normalizer): skip building the normalized copy of the whole text.
      if (text.length > 0) this.encodeByWord(text, addDummyPrefix ? this.space : '', ids);
    } else if (this.encodesByWord) this.encodeByWord(this.normalize(text), '', ids);
    else this.encodeSymbols(this.normalize(text), ids);
    if (!this.model.trainerSpec.byteFallback) this.fuseUnknowns(ids, start);
    if (eos) ids.push(this.special(this.eosId, 'EOS', 'eos_id'));
    return ids;
  }

  /**
   * Ids → text as SentencePiece's DecodeIds: control pieces print nothing, <unk> prints " ⁇ ", runs of byte
   * pieces are decoded as UTF-8 (U+FFFD for each bad byte), "▁" becomes a space, and the first piece loses its
   * leading "▁" (the dummy prefix). Ids outside the vocabulary are skipped, so a model with a larger
   * embedding than its tokenizer can still be decoded.
   */
  decode(ids: readonly number[]): string {
    const { addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces } = this.model.normalizerSpec;
    let atStart = addDummyPrefix || removeExtraWhitespaces; // until the first piece that is not control
    let text = '';
    let bytes: number[] = [];
    for (const id of ids) {
      const type = this.types[id];
      if (type === undefined || type === PieceType.control) continue;
      const stripPrefix = atStart;
      atStart = false;
      if (type === PieceType.byte) {
        bytes.push(this.byteOfId[id]!);
        continue;
      }
      if (bytes.length > 0) {
        text += decodeUtf8(bytes);
        bytes = [];
      }
      if (type === PieceType.unknown) {
        text += this.model.trainerSpec.unkSurface;
        continue;
      }
      let piece = this.pieces[id]!;
      if (stripPrefix && piece.startsWith(this.space)) piece = piece.slice(this.space.length);
      text += escapeWhitespaces ? piece.replaceAll(SPACE_SYMBOL, ' ') : piece;
    }
    if (bytes.length > 0) text += decodeUtf8(bytes);
    return text;
  }

  private special(id: number, name: string, field: string): number {
    if (id < 0) throw new Error(`encode: this tokenizer has no ${name} piece (trainer_spec.${field} is -1)`);
    return id;
  }

  /**
   * Encodes `text` a word at a time: a word starts where a space follows a non-space. `text` may be raw
   * (spaces not yet "▁": the cache is keyed by the raw word, and a word is escaped only on a cache miss) or
   * normalized; `prefix` is the dummy prefix still to put before the first word.
   */
  private encodeByWord(text: string, prefix: string, ids: number[]): void {
    const space = this.space.charCodeAt(0);
    const escapes = this.model.normalizerSpec.escapeWhitespaces;
    const isSpace = (code: number): boolean => code === space || (escapes && code === 32);
    let start = 0;
    for (let end = 1; end <= text.length; end++) {
      if (end < text.length && !(isSpace(text.charCodeAt(end)) && !isSpace(text.charCodeAt(end - 1))))
        continue;
      const word = start === 0 ? prefix + text.slice(0, end) : text.slice(start, end);
      start = end;
      if (word.length > CACHEABLE_LENGTH) {
        this.encodeSymbols(escapes ? word.replaceAll(' ', SPACE_SYMBOL) : word, ids);
        continue;
      }
      let cached = this.cache.get(word);
      if (cached === undefined) {
        cached = [];
        this.encodeSymbols(escapes ? word.replaceAll(' ', SPACE_SYMBOL) : word, cached);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, cached);
      }
      for (let i = 0; i < cached.length; i++) ids.push(cached[i]!);
    }
  }

  /**
   * Encodes normalized text, appending the ids to `out`. A long text is cut around characters that no
   * multi-character piece holds ("\n" in Llama 2: it is a byte piece): no merge can reach across them, so
   * the stretches between encode alone, and one long line costs a small priority queue per stretch.
   */
  private encodeSymbols(text: string, out: number[]): void {
    if (this.hasUnused || text.length <= CACHEABLE_LENGTH) {
      this.mergeSymbols(text, out);
      return;
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (this.joinable[text.charCodeAt(i)] === 1) continue;
      if (i > start) this.mergeSymbols(text.slice(start, i), out);
      this.mergeSymbols(text[i]!, out);
      start = i + 1;
    }
    if (start < text.length) this.mergeSymbols(text.slice(start), out);
  }

  /** bpe_model.cc's Model::Encode on one stretch of normalized text, appending the ids to `out`. */
  private mergeSymbols(text: string, out: number[]): void {
    const symbols = this.initialSymbols(text);
    const count = symbols.length;
    if (count < 2) {
      for (const id of symbols) out.push(id);
      return;
    }
    const next = new Int32Array(count);
    const previous = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      next[i] = i + 1 < count ? i + 1 : -1;
      previous[i] = i - 1;
    }
    const unusedSplits = this.hasUnused ? new Map<number, [number, number]>() : null;
    const agenda = this.agenda;
    agenda.clear();
    const consider = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const leftId = symbols[left]!;
      const rightId = symbols[right]!;
      const merged = this.merges.get(leftId * this.vocabSize + rightId);
      if (merged === undefined) return;
      agenda.push(this.scores[merged]!, left, right, leftId, rightId, merged);
      if (unusedSplits && this.types[merged] === PieceType.unused)
        unusedSplits.set(merged, [leftId, rightId]);
    };
    for (let i = 0; i + 1 < count; i++) consider(i, i + 1);
    while (agenda.pop()) {
      const { left, right } = agenda;
      // Stale: one side has merged since this candidate was queued.
      if (symbols[left] !== agenda.leftId || symbols[right] !== agenda.rightId || next[left] !== right)
        continue;
      symbols[left] = agenda.merged;
      symbols[right] = -1;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) previous[after] = left;
      consider(previous[left]!, left);
      consider(left, after);
    }
    for (let i = 0; i !== -1; i = next[i]!) {
      if (unusedSplits) this.resegment(symbols[i]!, unusedSplits, out);
      else out.push(symbols[i]!);
    }
  }

  /** One id per character (or user-defined piece); bytes or <unk> for characters without a piece. */
  private initialSymbols(text: string): number[] {
    const symbols: number[] = [];
    const hasUserDefined = this.userDefined.size > 0;
    for (let i = 0; i < text.length; ) {
      const high = text.charCodeAt(i);
      const width = high >= 0xd800 && high <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
      const char = width === 1 ? text[i]! : text.slice(i, i + 2);
      if (hasUserDefined) {
        const match = this.userDefined.get(char)?.find((piece) => text.startsWith(piece, i));
        if (match !== undefined) {
          symbols.push(this.idOfPiece.get(match)!);
          i += match.length;
          continue;
        }
      }
      i += width;
      const id = this.idOfPiece.get(char);
      if (id !== undefined) symbols.push(id);
      else if (this.model.trainerSpec.byteFallback) {
        for (const byte of UTF8.encode(char)) symbols.push(this.byteIds[byte]!);
      } else symbols.push(this.unkId);
    }
    return symbols;
  }

  /** bpe_model.cc: an UNUSED piece is never output; it is split back into the pair that made it. */
  private resegment(id: number, splits: Map<number, [number, number]>, out: number[]): void {
    const split = this.types[id] === PieceType.unused ? splits.get(id) : undefined;
    if (split === undefined) {
      out.push(id);
      return;
    }
    this.resegment(split[0], splits, out);
    this.resegment(split[1], splits, out);
  }

  /** sentencepiece_processor.cc: without byte fallback, a run of <unk> pieces becomes one <unk>. */
  private fuseUnknowns(ids: number[], start: number): void {
    let write = start;
    for (let read = start; read < ids.length; read++) {
      if (ids[read] === this.unkId && write > start && ids[write - 1] === this.unkId) continue;
      ids[write++] = ids[read]!;
    }
    ids.length = write;
  }
}

const UTF8 = new TextEncoder();

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
