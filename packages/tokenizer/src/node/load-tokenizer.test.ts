import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fixture,
  haveLlama2Files,
  llama2Bin,
  llama2Model,
  needsLlama2Files,
} from '../../test/llama2-fixture.js';
import {
  parseModelProto,
  type SentencePieceTokenizer,
  TokenizerFileError,
  tokenizerFromBytes,
  writeTokenizerJson,
} from '../index.js';
import { loadTokenizer } from './index.js';

// Every loader against the SentencePiece library on Llama 2's tokenizer.model: ASCII, accents, CJK, emoji and
// other byte fallback, runs of spaces, tabs, newlines, leading and trailing spaces, the empty string, and 200
// lines of TinyStories (test/fixtures/generate_fixtures.py).
describe.skipIf(!haveLlama2Files)(
  needsLlama2Files(`every Llama 2 file format encodes as SentencePiece`),
  () => {
    const loaded: Record<string, SentencePieceTokenizer> = {};

    beforeAll(async () => {
      const directory = await mkdtemp(join(tmpdir(), 'mini-llama-tokenizer-'));
      const json = join(directory, 'tokenizer.json');
      await writeFile(json, writeTokenizerJson(parseModelProto(new Uint8Array(await readFile(llama2Model)))));
      loaded['tokenizer.model'] = (await loadTokenizer(llama2Model)) as SentencePieceTokenizer;
      loaded['tokenizer.bin'] = (await loadTokenizer(llama2Bin)) as SentencePieceTokenizer;
      loaded['tokenizer.json (written from tokenizer.model)'] = (await loadTokenizer(
        json,
      )) as SentencePieceTokenizer;
    });

    for (const format of [
      'tokenizer.model',
      'tokenizer.bin',
      'tokenizer.json (written from tokenizer.model)',
    ]) {
      describe(format, () => {
        it('has the vocabulary and special ids of the model', () => {
          const tokenizer = loaded[format]!;
          expect(tokenizer.vocabSize).toBe(fixture.vocab_size);
          expect([tokenizer.bosId, tokenizer.eosId, tokenizer.unkId, tokenizer.padId]).toEqual([1, 2, 0, -1]);
          expect(tokenizer.encodesByWord).toBe(true);
        });

        it(`encodes and decodes all ${fixture.cases.length} fixture texts as SentencePiece`, () => {
          const tokenizer = loaded[format]!;
          for (const { text, ids, decoded } of fixture.cases) {
            expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(ids);
            expect(tokenizer.decode(ids), JSON.stringify(text)).toBe(decoded);
          }
        });

        it('decodes control, unknown and byte pieces as SentencePiece', () => {
          const tokenizer = loaded[format]!;
          for (const { ids, text } of fixture.decodes) expect(tokenizer.decode(ids), String(ids)).toBe(text);
        });

        it('adds BOS and EOS only when asked', () => {
          const tokenizer = loaded[format]!;
          expect(tokenizer.encode('Hello world')).toEqual([15043, 3186]);
          expect(tokenizer.encode('Hello world', { bos: true, eos: true })).toEqual([1, 15043, 3186, 2]);
          expect(tokenizer.encode('', { bos: true })).toEqual([1]);
        });
      });
    }
  },
);

describe('loadTokenizer', () => {
  it("gives the built-in Llama 2 tokenizer for 'llama2', without a file", async () => {
    const tokenizer = await loadTokenizer('llama2');
    expect(tokenizer.vocabSize).toBe(32000);
    expect(tokenizer.encode('Hello world')).toEqual([15043, 3186]);
    expect(await loadTokenizer('llama2')).toBe(tokenizer); // built once
  });

  it('names an unknown file type and the formats it knows', async () => {
    await expect(loadTokenizer('/models/vocab.txt')).rejects.toThrow(
      /\/models\/vocab\.txt: unknown tokenizer file type: expected a SentencePiece \.model, an HF tokenizer \.json, a llama2\.c tokenizer \.bin, or 'llama2'/,
    );
    expect(() => tokenizerFromBytes(new Uint8Array(4), 'tokenizer')).toThrow(TokenizerFileError);
  });

  it('names a missing file', async () => {
    await expect(loadTokenizer('/nonexistent/tokenizer.model')).rejects.toThrow(
      /^\/nonexistent\/tokenizer\.model: cannot read: no such file or directory \(ENOENT\)$/,
    );
  });

  it('picks the parser from the extension, so a file in another format fails with a clear message', () => {
    const json = new TextEncoder().encode('{"model": {"type": "Unigram"}}');
    expect(() => tokenizerFromBytes(json, 'tokenizer.json')).toThrow(
      'tokenizer.json: model.type is "Unigram": only BPE models (Llama\'s) are supported',
    );
    expect(() => tokenizerFromBytes(json, 'renamed.model')).toThrow(
      /^renamed\.model: not a valid SentencePiece model: /,
    );
    expect(() => tokenizerFromBytes(json, 'renamed.bin')).toThrow(
      /^renamed\.bin: max_token_length \d+ is not plausible/,
    );
  });
});
