import { describe, expect, it } from 'vitest';
import {
  bytePiece,
  DEFAULT_TRAINER_SPEC,
  IDENTITY_NORMALIZER,
  llama2Tokenizer,
  ModelType,
  type NormalizerSpec,
  PieceType,
  type SentencePiece,
  type SentencePieceModel,
  SentencePieceTokenizer,
} from './index.js';

/** <unk> <s> </s>, the 256 byte pieces (when byteFallback), then `pieces` with their scores. */
function modelOf(
  pieces: [string, number, PieceType?][],
  {
    byteFallback = true,
    normalizer = {},
  }: { byteFallback?: boolean; normalizer?: Partial<NormalizerSpec> } = {},
): SentencePieceModel {
  const all: SentencePiece[] = [
    { piece: '<unk>', score: 0, type: PieceType.unknown },
    { piece: '<s>', score: 0, type: PieceType.control },
    { piece: '</s>', score: 0, type: PieceType.control },
    ...(byteFallback
      ? Array.from({ length: 256 }, (_, byte) => ({ piece: bytePiece(byte), score: 0, type: PieceType.byte }))
      : []),
    ...pieces.map(([piece, score, type = PieceType.normal]) => ({ piece, score, type })),
  ];
  return {
    pieces: all,
    trainerSpec: { ...DEFAULT_TRAINER_SPEC, vocabSize: all.length, byteFallback },
    normalizerSpec: { ...IDENTITY_NORMALIZER, ...normalizer },
  };
}

/**
 * SentencePiece's BPE written the slow, obvious way (bpe_model.cc without its queue): merge the adjacent pair
 * whose concatenation is a piece with the highest score, the leftmost on ties, until none is left.
 */
function referenceEncoder(model: SentencePieceModel): (text: string) => number[] {
  const mergeable = new Map<string, number>();
  const any = new Map<string, number>();
  model.pieces.forEach(({ piece, type }, id) => {
    if (type === PieceType.normal || type === PieceType.userDefined) mergeable.set(piece, id);
    any.set(piece, id);
  });
  return (text) => (text.length === 0 ? [] : referenceEncode(model, mergeable, any, text));
}

function referenceEncode(
  model: SentencePieceModel,
  mergeable: Map<string, number>,
  any: Map<string, number>,
  text: string,
): number[] {
  const symbols = [...`▁${text.replaceAll(' ', '▁')}`];
  for (;;) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const id = mergeable.get(symbols[i]! + symbols[i + 1]!);
      if (id !== undefined && model.pieces[id]!.score > bestScore) {
        bestScore = model.pieces[id]!.score;
        best = i;
      }
    }
    if (best < 0) break;
    symbols.splice(best, 2, symbols[best]! + symbols[best + 1]!);
  }
  return symbols.flatMap((symbol) => {
    const id = any.get(symbol);
    return id !== undefined
      ? [id]
      : [...new TextEncoder().encode(symbol)].map((byte) => any.get(bytePiece(byte))!);
  });
}

/** Deterministic text from an alphabet (a linear congruential generator: the sequence is part of the test). */
function randomTexts(alphabet: string[], count: number, seed = 1): string[] {
  let state = seed;
  const next = (bound: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % bound;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: next(30) }, () => alphabet[next(alphabet.length)]!).join(''),
  );
}

describe('SentencePieceTokenizer', () => {
  it('merges the highest-scoring pair first and the leftmost of equal scores', () => {
    const tokenizer = new SentencePieceTokenizer(
      modelOf([
        ['▁', -100],
        ['a', -100],
        ['b', -100],
        ['ab', -1],
        ['bab', -2],
        ['▁a', -3],
      ]),
    );
    const [space, a, b, ab, bab, spaceA] = [259, 260, 261, 262, 263, 264];
    // "▁abab": ab (−1) at positions 1 and 3, leftmost first → ▁ [ab] [ab]; nothing else merges.
    expect(tokenizer.encode('abab')).toEqual([space, ab, ab]);
    // "▁bab": ab (−1) → ▁ b [ab]; then b+ab = bab (−2).
    expect(tokenizer.encode('bab')).toEqual([space, bab]);
    // "▁a": only ▁a.
    expect(tokenizer.encode('a')).toEqual([spaceA]);
    expect(tokenizer.encode('ba')).toEqual([space, b, a]);
  });

  it('spells characters without a piece in UTF-8 byte pieces', () => {
    const tokenizer = new SentencePieceTokenizer(modelOf([['▁', -1]]));
    expect(tokenizer.encode('é')).toEqual([259, 3 + 0xc3, 3 + 0xa9]);
    expect(tokenizer.decode([259, 3 + 0xc3, 3 + 0xa9])).toBe('é');
  });

  it('matches the slow reference encoder on random text, on Llama 2 and on a vocabulary with "▁" inside pieces', async () => {
    const llama2 = await llama2Tokenizer();
    const alphabet = [...'abcdeht ,.\n\t', '  ', 'é', '日', '🦙', '▁'];
    // "a▁b" breaks the word-shape rule, so this one must encode whole texts, not words.
    const inside = modelOf([
      ['▁', -50],
      ...[...'abcdeht,.'].map((character): [string, number] => [character, -50]),
      ['a▁', -1],
      ['a▁b', -2],
      ['▁a', -3],
      ['he', -4],
      ['▁▁', -5],
      ['▁▁▁', -5],
      ['t▁', -6],
    ]);
    const whole = new SentencePieceTokenizer(inside);
    expect(llama2.encodesByWord).toBe(true);
    expect(whole.encodesByWord).toBe(false);
    const [llama2Reference, insideReference] = [referenceEncoder(llama2.model), referenceEncoder(inside)];
    for (const text of randomTexts(alphabet, 500)) {
      expect(llama2.encode(text), JSON.stringify(text)).toEqual(llama2Reference(text));
      expect(whole.encode(text), JSON.stringify(text)).toEqual(insideReference(text));
    }
  });

  it('encodes a long line with no spaces (one word) as the reference does', async () => {
    const llama2 = await llama2Tokenizer();
    const text = 'Onceuponatime,therewasalittlegirl.\nShelikedtoplay🦙outside.\t'.repeat(20);
    expect(llama2.encode(text)).toEqual(referenceEncoder(llama2.model)(text));
  });

  it('decodes as SentencePiece: controls print nothing, <unk> " ⁇ ", bad bytes U+FFFD each, one dummy prefix', () => {
    const tokenizer = new SentencePieceTokenizer(
      modelOf([
        ['▁', -1],
        ['▁hi', -1],
        ['hi', -2],
      ]),
    );
    const [space, spaceHi, hi] = [259, 260, 261];
    expect(tokenizer.decode([1, spaceHi, spaceHi, 2])).toBe('hi hi');
    expect(tokenizer.decode([space, spaceHi])).toBe(' hi');
    expect(tokenizer.decode([0, hi])).toBe(' ⁇ hi');
    expect(tokenizer.decode([3 + 0xe6, 3 + 0x97, spaceHi])).toBe('\uFFFD\uFFFD hi');
    expect(tokenizer.decode([3 + 0x41, spaceHi, -1, 99999])).toBe('A hi');
  });

  it('adds BOS and EOS only when asked, and says when the model has none', () => {
    const model = modelOf([['▁', -1]]);
    const tokenizer = new SentencePieceTokenizer(model);
    expect(tokenizer.encode(' ', { bos: true, eos: true })).toEqual([1, 259, 259, 2]);
    const noBos = new SentencePieceTokenizer({ ...model, trainerSpec: { ...model.trainerSpec, bosId: -1 } });
    expect(() => noBos.encode('x', { bos: true })).toThrow(
      'encode: this tokenizer has no BOS piece (trainer_spec.bos_id is -1)',
    );
  });

  it('applies remove_extra_whitespaces and add_dummy_prefix as the model says', () => {
    const pieces: [string, number][] = [
      ['▁', -1],
      ['x', -1],
    ];
    const squeezed = new SentencePieceTokenizer(
      modelOf(pieces, { normalizer: { removeExtraWhitespaces: true } }),
    );
    expect(squeezed.normalize('  x   x  ')).toBe('▁x▁x');
    expect(squeezed.encode('   ')).toEqual([]);
    const bare = new SentencePieceTokenizer(modelOf(pieces, { normalizer: { addDummyPrefix: false } }));
    expect(bare.encode('x x')).toEqual([260, 259, 260]);
    expect(bare.decode([259, 260])).toBe(' x');
  });

  it('matches user-defined pieces before merging, and splits unused pieces back', () => {
    const tokenizer = new SentencePieceTokenizer(
      modelOf([
        ['▁', -9],
        ['a', -9],
        ['b', -9],
        ['<sep>', 0, PieceType.userDefined],
        ['ab', -1, PieceType.unused],
        ['▁ab', -2],
      ]),
    );
    const [space, a, b, separator, spaceAb] = [259, 260, 261, 262, 264];
    expect(tokenizer.encode('b<sep>a')).toEqual([space, b, separator, a]);
    // ab (unused) merges, then ▁+ab → ▁ab; alone, ab is split back into a b.
    expect(tokenizer.encode('ab')).toEqual([spaceAb]);
    expect(tokenizer.encode('bab')).toEqual([space, b, a, b]);
  });

  it('rejects models it cannot encode, naming the field', () => {
    const model = modelOf([['▁', -1]]);
    const make = (changed: Partial<SentencePieceModel>) => () =>
      new SentencePieceTokenizer({ ...model, ...changed }, 'm.model');
    expect(make({ trainerSpec: { ...model.trainerSpec, modelType: ModelType.unigram } })).toThrow(
      'm.model: trainer_spec.model_type is unigram: only BPE models are supported',
    );
    expect(make({ trainerSpec: { ...model.trainerSpec, unkId: 1 } })).toThrow(
      "m.model: trainer_spec.unk_id 1 names '<s>', which is not of type UNKNOWN",
    );
    expect(make({ trainerSpec: { ...model.trainerSpec, eosId: 5000 } })).toThrow(
      'm.model: trainer_spec.eos_id is 5000, outside the 260 pieces',
    );
    expect(make({ pieces: model.pieces.filter(({ piece }) => piece !== '<0x41>') })).toThrow(
      'm.model: trainer_spec.byte_fallback is set but there is no byte piece <0x41>',
    );
    expect(make({ pieces: [...model.pieces, { piece: '▁', score: 0, type: PieceType.normal }] })).toThrow(
      "m.model: piece 260 '▁' is defined twice",
    );
    expect(
      make({
        normalizerSpec: { ...model.normalizerSpec, name: 'nmt_nfkc', precompiledCharsmap: new Uint8Array(8) },
      }),
    ).toThrow(
      /m\.model: normalizer_spec\.name is 'nmt_nfkc': SentencePiece's precompiled normalization rules/,
    );
  });
});
