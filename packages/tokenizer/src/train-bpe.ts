import { BinaryHeap } from './binary-heap.js';
import {
  bytePiece,
  DEFAULT_TRAINER_SPEC,
  IDENTITY_NORMALIZER,
  PieceType,
  type SentencePiece,
  type SentencePieceModel,
  SPACE_SYMBOL,
} from './sentence-piece-model.js';

export interface TrainBpeOptions {
  /** Pieces in all: 3 specials + 256 bytes + characters + merges (llama2.c trains 512 and 4096). */
  vocabSize: number;
  /** The longest piece, in characters: SentencePiece's max_sentencepiece_length. */
  maxPieceLength?: number;
  /**
   * The share of character occurrences that get a piece of their own; the rarest characters beyond it are
   * spelled in bytes. 1 as llama2.c's train_vocab.sh (SentencePiece's default is 0.9995).
   */
  characterCoverage?: number;
  /** No piece mixes two Unicode scripts ("day" and "," stay apart): SentencePiece's split_by_unicode_script. */
  splitByUnicodeScript?: boolean;
  /** Digits are pieces of their own, as in Llama 2: SentencePiece's split_digits. */
  splitDigits?: boolean;
}

const FIRST_BYTE = 3; // after <unk>, <s>, </s>
const FIRST_CHARACTER = FIRST_BYTE + 256;
const MAX_VOCAB_SIZE = 1 << 16; // a pair of ids is one number: left · 2^16 + right
const KEY = MAX_VOCAB_SIZE;

/** A pair of adjacent symbols and how often it occurs; the queue holds stale counts until they surface. */
interface PairEntry {
  key: number;
  count: number;
  piece: string;
  length: number;
}

/**
 * Trains a SentencePiece-style BPE vocabulary (Sennrich et al. 2016; SentencePiece's bpe_model_trainer.cc)
 * that SentencePiece itself encodes with exactly as `SentencePieceTokenizer` does:
 *
 * - Each line is a sentence, normalized as Llama 2's: identity, a dummy-prefix "▁", spaces as "▁". A word is
 *   a "▁" and what follows up to the next "▁", so pieces hold "▁" only at their start, never cross a word
 *   and never hold a newline (it falls back to the byte <0x0A>, as in Llama 2).
 * - Ids: 0 <unk>, 1 <s>, 2 </s>, 3…258 the byte pieces <0x00>…<0xFF> (byte fallback: any text encodes),
 *   then the characters (most frequent first), then the merges in the order they were made.
 * - Each step merges the most frequent adjacent pair. Ties go to the shorter merged piece, then the smaller
 *   in code-point order (SentencePiece's trainer rule), then the smaller left id and right id, so training
 *   is deterministic. Merge k gets score −k: SentencePiece's BPE applies merges in score order. Characters
 *   score below every merge (no merge makes them, so their scores never decide anything).
 *
 * Speed: words are counted once, and each merge updates the pair counts of the words that hold the pair only
 * (an index from pair to words, and a priority queue of pair counts).
 */
export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions): SentencePieceModel {
  const {
    vocabSize,
    maxPieceLength = 16,
    characterCoverage = 1,
    splitByUnicodeScript = true,
    splitDigits = true,
  } = options;
  if (!Number.isInteger(vocabSize) || vocabSize <= FIRST_CHARACTER || vocabSize > MAX_VOCAB_SIZE) {
    throw new RangeError(
      `trainBpe: vocabSize must be an integer in ${FIRST_CHARACTER + 1}…${MAX_VOCAB_SIZE} ` +
        `(3 special and 256 byte pieces come first), got ${vocabSize}`,
    );
  }
  if (!Number.isInteger(maxPieceLength) || maxPieceLength < 2) {
    throw new RangeError(`trainBpe: maxPieceLength must be an integer ≥ 2, got ${maxPieceLength}`);
  }
  if (!(characterCoverage > 0 && characterCoverage <= 1)) {
    throw new RangeError(`trainBpe: characterCoverage must be in (0, 1], got ${characterCoverage}`);
  }

  const wordCounts = countWords(texts);
  const characters = chooseCharacters(wordCounts, characterCoverage, vocabSize - FIRST_CHARACTER);
  const pieceOf: string[] = [];
  const lengthOf: number[] = [];
  /** A piece's script (ANY_SCRIPT for "▁" and combining marks alone), or NO_MERGE for a digit. */
  const scriptOf: number[] = [];
  const idOf = new Map<string, number>();
  characters.forEach((character, index) => {
    const id = FIRST_CHARACTER + index;
    pieceOf[id] = character;
    lengthOf[id] = 1;
    scriptOf[id] =
      splitDigits && DIGIT.test(character)
        ? NO_MERGE
        : splitByUnicodeScript
          ? scriptId(character)
          : ANY_SCRIPT;
    idOf.set(character, id);
  });

  // Words as symbol ids; -1 marks a character left to byte fallback, which no merge crosses.
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    const symbols = Array.from(word, (character) => idOf.get(character) ?? -1);
    if (symbols.length < 2) continue;
    words.push(symbols);
    counts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const wordsWithPair = new Map<number, number[]>();
  // SentencePiece's TrainerInterface::IsValidSentencePiece, for a piece made of two valid ones.
  const eligible = (left: number, right: number): boolean => {
    if (left < 0 || right < 0 || lengthOf[left]! + lengthOf[right]! > maxPieceLength) return false;
    const [a, b] = [scriptOf[left]!, scriptOf[right]!];
    if (a === NO_MERGE || b === NO_MERGE) return false;
    return a === ANY_SCRIPT || b === ANY_SCRIPT || a === b;
  };
  const entry = (key: number, count: number): PairEntry => {
    const left = Math.floor(key / KEY);
    const right = key % KEY;
    return {
      key,
      count,
      piece: pieceOf[left]! + pieceOf[right]!,
      length: lengthOf[left]! + lengthOf[right]!,
    };
  };
  const noteWord = (key: number, word: number): void => {
    const list = wordsWithPair.get(key);
    if (list === undefined) wordsWithPair.set(key, [word]);
    else if (list[list.length - 1] !== word) list.push(word);
  };
  words.forEach((symbols, word) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      if (!eligible(symbols[i]!, symbols[i + 1]!)) continue;
      const key = symbols[i]! * KEY + symbols[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[word]!);
      noteWord(key, word);
    }
  });
  const queue = new BinaryHeap<PairEntry>((a, b) => {
    if (a.count !== b.count) return a.count > b.count;
    if (a.length !== b.length) return a.length < b.length;
    const order = compareCodePoints(a.piece, b.piece);
    return order !== 0 ? order < 0 : a.key < b.key;
  });
  for (const [key, count] of pairCounts) queue.push(entry(key, count));

  const merges: string[] = [];
  let nextId = FIRST_CHARACTER + characters.length;
  const lastVisit = new Int32Array(words.length).fill(-1);
  for (let step = 0; nextId < vocabSize; step++) {
    const top = queue.pop();
    if (top === undefined) break; // every word is one piece: the text cannot fill the vocabulary
    const current = pairCounts.get(top.key) ?? 0;
    if (current !== top.count) {
      // Counts that fell are re-queued here; counts that rose were queued when they rose.
      if (current > 0 && current < top.count) queue.push({ ...top, count: current });
      continue;
    }
    const left = Math.floor(top.key / KEY);
    const right = top.key % KEY;
    let merged = idOf.get(top.piece);
    if (merged === undefined) {
      // A piece can be reached by two pairs ("▁t"+"he", "▁th"+"e"); it is added once.
      merged = nextId++;
      idOf.set(top.piece, merged);
      pieceOf[merged] = top.piece;
      lengthOf[merged] = top.length;
      scriptOf[merged] = scriptOf[left] === ANY_SCRIPT ? scriptOf[right]! : scriptOf[left]!;
      merges.push(top.piece);
    }
    const deltas = new Map<number, number>();
    const addPairs = (symbols: number[], count: number, word: number | null): void => {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const [a, b] = [symbols[i]!, symbols[i + 1]!];
        if (!eligible(a, b)) continue;
        const key = a * KEY + b;
        deltas.set(key, (deltas.get(key) ?? 0) + count);
        if (word !== null && (a === merged || b === merged)) noteWord(key, word);
      }
    };
    for (const word of wordsWithPair.get(top.key) ?? []) {
      if (lastVisit[word] === step) continue;
      lastVisit[word] = step;
      const symbols = words[word]!;
      const mergedSymbols: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) {
          mergedSymbols.push(merged);
          i++;
        } else mergedSymbols.push(symbols[i]!);
      }
      if (mergedSymbols.length === symbols.length) continue; // merged away by an earlier step
      addPairs(symbols, -counts[word]!, null);
      addPairs(mergedSymbols, counts[word]!, word);
      words[word] = mergedSymbols;
    }
    wordsWithPair.delete(top.key);
    for (const [key, delta] of deltas) {
      if (delta === 0) continue;
      const count = (pairCounts.get(key) ?? 0) + delta;
      if (count > 0) pairCounts.set(key, count);
      else pairCounts.delete(key);
      if (delta > 0) queue.push(entry(key, count));
    }
  }

  const pieces: SentencePiece[] = [
    { piece: DEFAULT_TRAINER_SPEC.unkPiece, score: 0, type: PieceType.unknown },
    { piece: DEFAULT_TRAINER_SPEC.bosPiece, score: 0, type: PieceType.control },
    { piece: DEFAULT_TRAINER_SPEC.eosPiece, score: 0, type: PieceType.control },
    ...Array.from({ length: 256 }, (_, byte) => ({ piece: bytePiece(byte), score: 0, type: PieceType.byte })),
    ...characters.map((piece, index) => ({ piece, score: -(merges.length + index), type: PieceType.normal })),
    ...merges.map((piece, index) => ({ piece, score: -index, type: PieceType.normal })),
  ];
  return {
    pieces,
    trainerSpec: {
      ...DEFAULT_TRAINER_SPEC,
      vocabSize: pieces.length,
      byteFallback: true,
      characterCoverage,
      maxSentencepieceLength: maxPieceLength,
      splitByUnicodeScript,
      splitDigits,
    },
    normalizerSpec: { ...IDENTITY_NORMALIZER },
  };
}

/** Words of every non-empty line ("▁" + what follows up to the next space) with their counts. */
function countWords(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      // The dummy prefix makes the line's first word start with "▁" too; a run of spaces gives "▁" words.
      for (const segment of line.split(' ')) {
        const word = SPACE_SYMBOL + segment;
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** Characters by frequency (then code point) until `coverage` of all occurrences, at most `limit`. */
function chooseCharacters(wordCounts: Map<string, number>, coverage: number, limit: number): string[] {
  const counts = new Map<string, number>();
  let total = 0;
  for (const [word, count] of wordCounts) {
    for (const character of word) {
      counts.set(character, (counts.get(character) ?? 0) + count);
      total += count;
    }
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  const chosen: string[] = [];
  let covered = 0;
  for (const [character, count] of sorted) {
    // SentencePiece's trainer: stop once the characters taken so far reach the coverage.
    if (chosen.length >= limit || covered / total >= coverage) break;
    chosen.push(character);
    covered += count;
  }
  return chosen;
}

const ANY_SCRIPT = -1;
const NO_MERGE = -2;
const DIGIT = /^\p{Nd}$/u;
const INHERITED = /^[\p{Script=Inherited}\u2581]$/u;
// The scripts told apart; Hiragana, Katakana and "ー" count as Han, as in SentencePiece. Letters of other
// scripts share one id, and so does everything else (punctuation, symbols, emoji: Unicode's Common).
const SCRIPTS = [
  /\p{Script=Latin}/u,
  /\p{Script=Greek}/u,
  /\p{Script=Cyrillic}/u,
  /\p{Script=Armenian}/u,
  /\p{Script=Hebrew}/u,
  /\p{Script=Arabic}/u,
  /\p{Script=Devanagari}/u,
  /\p{Script=Bengali}/u,
  /\p{Script=Tamil}/u,
  /\p{Script=Telugu}/u,
  /\p{Script=Thai}/u,
  /\p{Script=Georgian}/u,
  /\p{Script=Hangul}/u,
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30FC]/u,
  /\p{L}/u,
];

function scriptId(character: string): number {
  if (INHERITED.test(character)) return ANY_SCRIPT;
  const index = SCRIPTS.findIndex((script) => script.test(character));
  return index === -1 ? SCRIPTS.length : index;
}

/** Code-point order (= UTF-8 byte order, SentencePiece's std::string order); `<` compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (astral code points) sort after U+E000…U+FFFF, as their code points do. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
