import { describe, expect, it } from 'vitest';
import {
  llama2Tokenizer,
  PieceType,
  parseTokenizerJson,
  SentencePieceTokenizer,
  TokenizerFileError,
  writeTokenizerJson,
} from './index.js';

/** A Llama-style tokenizer.json as transformers' LlamaConverter writes one (legacy normalizer). */
function llamaStyle(overrides: Record<string, unknown> = {}, model: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<unk>', special: true },
      { id: 1, content: '<s>', special: true },
      { id: 2, content: '</s>', special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    model: {
      type: 'BPE',
      unk_token: '<unk>',
      byte_fallback: false,
      vocab: { '<unk>': 0, '<s>': 1, '</s>': 2, '▁': 3, h: 4, i: 5, '▁h': 6, hi: 7, '▁hi': 8 },
      merges: ['h i', '▁ h', '▁h i'],
      ...model,
    },
    ...overrides,
  });
}

describe('tokenizer.json (HF tokenizers)', () => {
  it('reads a Llama-style BPE file: specials, pieces and merge ranks as scores', () => {
    const model = parseTokenizerJson(llamaStyle());
    expect(model.pieces.map(({ type }) => type)).toEqual([
      PieceType.unknown,
      PieceType.control,
      PieceType.control,
      ...Array(6).fill(PieceType.normal),
    ]);
    expect(model.pieces.map(({ score }) => score).slice(6)).toEqual([-1, -0, -2]); // ▁h, hi, ▁hi
    expect(model.normalizerSpec).toMatchObject({ addDummyPrefix: true, escapeWhitespaces: true });
    const tokenizer = new SentencePieceTokenizer(model);
    // "▁hi▁hi": hi (rank 0) merges first in both words, then ▁+hi = ▁hi. SentencePiece merges any two
    // symbols that make a piece; HF's BPE would need the merge "▁ hi" listed (its converter lists them all).
    expect(tokenizer.encode('hi hi')).toEqual([8, 8]);
    expect(tokenizer.encode('hi hi', { bos: true, eos: true })).toEqual([1, 8, 8, 2]);
    expect(tokenizer.encode('ih')).toEqual([3, 5, 4]);
    expect(tokenizer.decode([8, 3, 7])).toBe('hi hi');
  });

  it('reads the Metaspace pre-tokenizer of newer files as the same normalization', () => {
    const metaspace = parseTokenizerJson(
      llamaStyle({
        normalizer: null,
        pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first' },
      }),
    );
    expect(metaspace.normalizerSpec).toEqual(parseTokenizerJson(llamaStyle()).normalizerSpec);
    const never = parseTokenizerJson(
      llamaStyle({
        normalizer: null,
        pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never' },
      }),
    );
    expect(never.normalizerSpec.addDummyPrefix).toBe(false);
  });

  it('accepts merges written as pairs (tokenizers ≥ 0.20)', () => {
    const pairs = parseTokenizerJson(
      llamaStyle(
        {},
        {
          merges: [
            ['h', 'i'],
            ['▁', 'h'],
            ['▁h', 'i'],
          ],
        },
      ),
    );
    expect(pairs).toEqual(parseTokenizerJson(llamaStyle()));
  });

  it("writes a file that reads back to the same encoder (Llama 2's vocabulary)", async () => {
    const llama2 = await llama2Tokenizer();
    const json = writeTokenizerJson(llama2.model);
    const parsed = JSON.parse(json) as { model: { merges: string[]; vocab: Record<string, number> } };
    expect(parsed.model.merges.slice(0, 3)).toEqual(['▁ t', 'e r', 'i n']);
    expect(Object.keys(parsed.model.vocab)).toHaveLength(32000);
    const reread = new SentencePieceTokenizer(parseTokenizerJson(json));
    const text = 'Once upon a time,   there was 日本 🦙 café\n\tend ';
    expect(reread.encode(text)).toEqual(llama2.encode(text));
  });

  it.each([
    ['text that is not JSON', 'not json', 'is not JSON'],
    ['an array', '[]', '(top level) is an array, expected an object'],
    ['no model', '{}', 'model is missing, expected an object'],
    [
      'a WordPiece model',
      llamaStyle({}, { type: 'WordPiece' }),
      'model.type is "WordPiece": only BPE models',
    ],
    ['no vocab', llamaStyle({}, { vocab: undefined }), 'model.vocab is missing, expected an object'],
    ['no merges', llamaStyle({}, { merges: undefined }), 'model.merges is missing, expected an array'],
    [
      'a bad id',
      llamaStyle({}, { vocab: { '<unk>': 0, x: 'one' } }),
      `model.vocab['x'] is "one", expected a token id`,
    ],
    [
      'a gap in the ids',
      llamaStyle({}, { vocab: { '<unk>': 0, '<s>': 1, '</s>': 2, x: 4 } }),
      'model.vocab has no token with id 3',
    ],
    [
      'a merge of unknown pieces',
      llamaStyle({}, { merges: ['h i', 'h q'] }),
      "model.merges[1] ('h', 'q'): 'q' is not in model.vocab",
    ],
    [
      'a malformed merge',
      llamaStyle({}, { merges: ['h i j'] }),
      'model.merges[0] is "h i j", expected "left right"',
    ],
    [
      'an unknown unk_token',
      llamaStyle({}, { unk_token: '<oov>' }),
      "model.unk_token '<oov>' is not in model.vocab",
    ],
    [
      'a WordPiece-style prefix',
      llamaStyle({}, { continuing_subword_prefix: '##' }),
      'model.continuing_subword_prefix is "##"',
    ],
    [
      'an NFKC normalizer',
      llamaStyle({ normalizer: { type: 'NFKC' } }),
      'normalizer is "NFKC": only Prepend("▁") and Replace(" ", "▁")',
    ],
    [
      'a byte-level pre-tokenizer',
      llamaStyle({ pre_tokenizer: { type: 'ByteLevel' } }),
      'pre_tokenizer is "ByteLevel": only Metaspace',
    ],
  ])('rejects %s, naming the field', (_, text, message) => {
    expect(() => parseTokenizerJson(text, 'bad.json')).toThrow(TokenizerFileError);
    expect(() => parseTokenizerJson(text, 'bad.json')).toThrow(`bad.json: ${message}`);
  });
});
