import { ByteTokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import {
  checkManifestMatchesModel,
  parseShardManifest,
  type ShardManifest,
  tokenDtypeFor,
} from './shard-manifest.js';
import { checkTokenizerMatchesModel, VocabularyMismatchError } from './vocabulary-check.js';

const manifest: ShardManifest = {
  format: 'mini-llama/token-shards',
  version: 1,
  tokenizer: { name: 'tokenizer.bin', bosId: 1, eosId: 2 },
  vocabSize: 32_000,
  dtype: 'uint16',
  documents: { train: 9, val: 1 },
  split: { rule: 'fnv1a-hash', seed: 0, valFraction: 0.1 },
  shards: [{ file: 'train-00000.bin', split: 'train', tokens: 100 }],
};

describe('tokenDtypeFor', () => {
  it('stores ids as uint16 up to a vocabulary of 65,535, uint32 beyond', () => {
    expect(tokenDtypeFor(32_000)).toBe('uint16');
    expect(tokenDtypeFor(65_535)).toBe('uint16');
    expect(tokenDtypeFor(65_536)).toBe('uint32');
    expect(tokenDtypeFor(128_256)).toBe('uint32'); // Llama 3
  });
});

describe('parseShardManifest', () => {
  it('accepts a manifest and names the field of a broken one', () => {
    expect(parseShardManifest(JSON.parse(JSON.stringify(manifest)), 'm.json')).toEqual(manifest);
    expect(() => parseShardManifest({ ...manifest, dtype: 'int8' }, 'm.json')).toThrow(
      'm.json: dtype must be uint16 or uint32, got "int8"',
    );
    expect(() =>
      parseShardManifest(
        { ...manifest, shards: [{ file: '../x.bin', split: 'train', tokens: 1 }] },
        'm.json',
      ),
    ).toThrow('m.json: shards[0].file must be a file name');
    expect(() => parseShardManifest({ ...manifest, vocabSize: 70_000 }, 'm.json')).toThrow(
      'm.json: dtype uint16 cannot hold vocabSize 70000',
    );
  });
});

describe('vocabulary checks', () => {
  it('reject shards made for another vocabulary, naming the tokenizer and both sizes', () => {
    expect(() => checkManifestMatchesModel(manifest, 32_000)).not.toThrow();
    expect(() => checkManifestMatchesModel(manifest, 259, 'data/manifest.json')).toThrow(
      "data/manifest.json: the shards were tokenised with tokenizer.bin (vocabSize 32000) but the model's vocabulary has 259",
    );
  });

  it('reject a tokenizer whose size differs from the model', () => {
    const tokenizer = new ByteTokenizer();
    expect(() => checkTokenizerMatchesModel(tokenizer, 259)).not.toThrow();
    expect(() => checkTokenizerMatchesModel(tokenizer, 32_000)).toThrow(VocabularyMismatchError);
    expect(() => checkTokenizerMatchesModel(tokenizer, 32_000)).toThrow(
      "tokenizer has 259 tokens but the model's vocabulary has 32000: use the tokenizer the model was trained with",
    );
    const broken = {
      ...tokenizer,
      vocabSize: 259,
      bosId: 300,
      eosId: 2,
      encode: tokenizer.encode,
      decode: tokenizer.decode,
    };
    expect(() => checkTokenizerMatchesModel(broken, 259)).toThrow(
      'tokenizer: BOS id 300 is outside the vocabulary [0, 259)',
    );
    expect(() => checkTokenizerMatchesModel(tokenizer, 258)).toThrow(
      /has 259 tokens but the model's vocabulary has 258/,
    );
  });

  it('accept an embedding padded to a round size (up to 1% more rows) and a tokenizer without BOS', () => {
    const qwenLike = {
      ...new ByteTokenizer(),
      vocabSize: 151_665,
      bosId: -1,
      eosId: 151_645,
      encode: () => [],
      decode: () => '',
    };
    expect(() => checkTokenizerMatchesModel(qwenLike, 151_936)).not.toThrow();
    expect(() => checkTokenizerMatchesModel(qwenLike, 160_000)).toThrow(VocabularyMismatchError);
    expect(() => checkTokenizerMatchesModel({ ...qwenLike, eosId: -1 }, 151_936, 'tokenizer.json')).toThrow(
      /^tokenizer\.json: no EOS token, which fine-tuning and padding need \(a tokenizer\.json takes it from the eos_token of tokenizer_config\.json beside it\)$/,
    );
    expect(() => checkTokenizerMatchesModel({ ...qwenLike, eosId: 151_936 }, 151_936)).toThrow(
      /EOS id 151936 is outside the vocabulary \[0, 151936\)/,
    );
  });
});
