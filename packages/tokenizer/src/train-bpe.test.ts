import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fixture,
  haveTinyStories,
  needsTinyStories,
  tinyStoriesTrain,
  tinyStoriesValid,
} from '../test/llama2-fixture.js';
import { haveSentencePiece, needsSentencePiece, sentencePiece } from '../test/sentencepiece.js';
import { PieceType, type SentencePieceModel, SentencePieceTokenizer, trainBpe } from './index.js';
import { loadTokenizer, saveTokenizer } from './node/index.js';

// The fixture's 200 TinyStories lines: a corpus that is always at hand.
const corpus = fixture.cases.map(({ text }) => text).slice(-200);
// Every fixture text but those holding "▁" itself, which SentencePiece reads as a space.
const testTexts = fixture.cases.map(({ text }) => text).filter((text) => !text.includes('\u2581'));

describe('trainBpe', () => {
  let model: SentencePieceModel;
  let tokenizer: SentencePieceTokenizer;
  beforeAll(() => {
    model = trainBpe(corpus, { vocabSize: 1024 });
    tokenizer = new SentencePieceTokenizer(model);
  });

  it('lays out <unk> <s> </s>, the 256 bytes, the characters, then the merges', () => {
    const { pieces } = model;
    expect(pieces).toHaveLength(1024);
    expect(pieces.slice(0, 3)).toEqual([
      { piece: '<unk>', score: 0, type: PieceType.unknown },
      { piece: '<s>', score: 0, type: PieceType.control },
      { piece: '</s>', score: 0, type: PieceType.control },
    ]);
    expect(pieces.slice(3, 259).map(({ piece, type }) => [piece, type])).toEqual(
      Array.from({ length: 256 }, (_, byte) => [
        `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`,
        PieceType.byte,
      ]),
    );
    const rest = pieces.slice(259);
    const characters = rest.filter(({ piece }) => [...piece].length === 1);
    expect(rest.slice(0, characters.length)).toEqual(characters); // characters first
    expect(characters[0]!.piece).toBe('▁'); // the most frequent
    expect(new Set(characters.map(({ piece }) => piece))).toEqual(
      new Set([...corpus.join('').replaceAll(' ', '▁')]).add('▁'),
    );
    expect(model.trainerSpec).toMatchObject({
      vocabSize: 1024,
      byteFallback: true,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      padId: -1,
    });
  });

  it('scores merges −0, −1, −2, … in the order they were made', () => {
    const merges = model.pieces.filter(({ piece }, id) => id >= 259 && [...piece].length > 1);
    expect(merges.map(({ score }) => score)).toEqual(merges.map((_, index) => -index));
    expect(merges.slice(0, 3).map(({ piece }) => piece)).toEqual(['▁t', 'he', '▁a']); // most frequent pairs
  });

  it('keeps "▁" at the start of pieces, digits alone and scripts unmixed', () => {
    for (const { piece, type } of model.pieces) {
      if (type !== PieceType.normal) continue;
      expect(piece.slice(1)).not.toContain('▁');
      if ([...piece].length > 1) expect(piece).not.toMatch(/\p{Nd}/u);
      expect(piece.replace(/^▁/, '')).toMatch(/^(\p{L}*|[^\p{L}]*)$/u); // letters, or no letters at all
    }
  });

  it('trains the same vocabulary every time', () => {
    expect(trainBpe(corpus, { vocabSize: 1024 })).toEqual(model);
  });

  it('round-trips every test text exactly', () => {
    expect(tokenizer.encodesByWord).toBe(true);
    for (const text of [...testTexts, '  leading, trailing  ', ' ', '\n\n\t', 'ünïcödé 🦙 日本語']) {
      expect(tokenizer.decode(tokenizer.encode(text)), JSON.stringify(text)).toBe(text);
    }
  });

  it('breaks ties by code point, and stops early when the text has no more pairs to merge', () => {
    // Words "▁ab" ×2. Characters and pairs all count 2: "a" < "b" < "▁" (U+2581), and "ab" < "▁a".
    const tiny = trainBpe(['ab ab'], { vocabSize: 4096 });
    expect(tiny.pieces.slice(259).map(({ piece }) => piece)).toEqual(['a', 'b', '▁', 'ab', '▁ab']);
    expect(tiny.trainerSpec.vocabSize).toBe(264);
  });

  it('rejects a vocabulary size with no room past the special and byte pieces', () => {
    expect(() => trainBpe(corpus, { vocabSize: 256 })).toThrow(
      'trainBpe: vocabSize must be an integer in 260…65536 (3 special and 256 byte pieces come first), got 256',
    );
  });
});

describe.skipIf(!haveTinyStories || !haveSentencePiece)(
  needsSentencePiece(needsTinyStories('a vocabulary trained on TinyStories, saved, in SentencePiece')),
  () => {
    const texts: string[] = [];
    let directory: string;
    let model: SentencePieceModel;
    beforeAll(async () => {
      const valid = (await readFile(tinyStoriesValid, 'utf8')).split('\n').filter(Boolean);
      texts.push(...testTexts, ...valid.slice(400, 700));
      model = trainBpe([await readFile(tinyStoriesTrain, 'utf8')], { vocabSize: 4096 });
      directory = await mkdtemp(join(tmpdir(), 'mini-llama-trained-'));
      await saveTokenizer(model, directory);
    });

    it('loads in SentencePiece with the same size and special ids', () => {
      const reference = sentencePiece(join(directory, 'tokenizer.model'), []);
      expect(reference).toMatchObject({ vocab_size: 4096, unk: 0, bos: 1, eos: 2, pad: -1 });
    });

    it(`encodes the test texts and 300 TinyStories validation lines as SentencePiece, from all three files`, async () => {
      const reference = sentencePiece(join(directory, 'tokenizer.model'), texts);
      const ours = new SentencePieceTokenizer(model);
      for (const file of ['tokenizer.model', 'tokenizer.json', 'tokenizer.bin']) {
        const loaded = await loadTokenizer(join(directory, file));
        texts.forEach((text, index) => {
          expect(loaded.encode(text), `${file}: ${JSON.stringify(text)}`).toEqual(reference.ids[index]);
        });
      }
      texts.forEach((text, index) => {
        expect(ours.encode(text)).toEqual(reference.ids[index]);
      });
    });

    it('decodes as SentencePiece', () => {
      const ours = new SentencePieceTokenizer(model);
      const ids = texts.slice(0, 50).map((text) => ours.encode(text));
      const reference = sentencePiece(join(directory, 'tokenizer.model'), [], ids);
      ids.forEach((list, index) => {
        expect(ours.decode(list)).toBe(reference.decoded[index]);
      });
    });
  },
);
