import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, temporaryDirectory } from '../../test/cli-harness.js';

let directory: string;

beforeAll(async () => {
  directory = await temporaryDirectory();
});

/** Runs a command that must succeed and returns its stdout. */
async function run(...args: string[]): Promise<string> {
  const result = await cli('tokenizer', ...args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

describe('mini-llama tokenizer encode / decode', () => {
  // Ids from SentencePiece on Llama 2's tokenizer.model (packages/tokenizer/test/fixtures).
  it('encodes with the built-in Llama 2 tokenizer, BOS and EOS only when asked', async () => {
    expect(await run('encode', '--tokenizer', 'llama2', '--text', 'Hello world', '--json')).toBe(
      '{"ids":[15043,3186]}\n',
    );
    expect(
      await run('encode', '--tokenizer', 'llama2', '--text', 'Hello world', '--bos', '--eos', '--json'),
    ).toBe('{"ids":[1,15043,3186,2]}\n');
    expect(await run('encode', '--tokenizer', 'llama2', '--text', ' leading space')).toBe(
      '29871,8236,2913\n',
    );
    expect(await run('encode', '--tokenizer', 'llama2', '--text', '', '--json')).toBe('{"ids":[]}\n');
  });

  it('decodes ids to text', async () => {
    expect(await run('decode', '--tokenizer', 'llama2', '--ids', '1,15043,3186,2')).toBe('Hello world\n');
    expect(await run('decode', '--tokenizer', 'llama2', '--ids', '29871,8236,2913', '--json')).toBe(
      '{"text":" leading space"}\n',
    );
  });

  it('names ids outside the vocabulary, a malformed id list and a missing file', async () => {
    const outside = await cli('tokenizer', 'decode', '--tokenizer', 'llama2', '--ids', '1,32000');
    expect(outside.code).toBe(1);
    expect(outside.stderr).toBe(
      'mini-llama tokenizer: --ids: token id 32000 is outside the vocabulary 0…31999\n',
    );
    const malformed = await cli('tokenizer', 'decode', '--tokenizer', 'llama2', '--ids', '1,x');
    expect(malformed.stderr).toMatch(/--ids must be comma-separated token ids/);
    const missing = join(directory, 'nothing', 'tokenizer.model');
    const absent = await cli('tokenizer', 'encode', '--tokenizer', missing, '--text', 'hi');
    expect(absent.stderr).toMatch(new RegExp(`^mini-llama tokenizer: ${missing}: cannot read`));
    const unknown = await cli(
      'tokenizer',
      'encode',
      '--tokenizer',
      join(directory, 'vocab.txt'),
      '--text',
      'hi',
    );
    expect(unknown.stderr).toMatch(/vocab\.txt: unknown tokenizer file type/);
  });
});

describe('mini-llama tokenizer train', () => {
  let corpus: string;
  let out: string;

  beforeAll(async () => {
    // A small corpus with repeated words (so there are pairs to merge), punctuation, digits and accents.
    const lines = Array.from(
      { length: 400 },
      (_, i) =>
        `Once upon a time, ${['Lily', 'Tom', 'Zoë'][i % 3]} saw ${i % 7} cats and said "hello there!"`,
    );
    corpus = join(directory, 'corpus.txt');
    await writeFile(corpus, `${lines.join('\n')}\n`);
    out = join(directory, 'trained');
  });

  it('writes tokenizer.model, tokenizer.json and tokenizer.bin and says how long it took', async () => {
    const printed = await run('train', '--input', corpus, corpus, '--vocab-size', '300', '--out', out);
    expect(printed).toMatch(/^trained 300 pieces on [\d.]+ KiB in \d+\.\d\d s\n/);
    expect(printed).toContain(join(out, 'tokenizer.model'));
    expect((await readdir(out)).sort()).toEqual(['tokenizer.bin', 'tokenizer.json', 'tokenizer.model']);
  });

  it('reports the facts as JSON, with fewer pieces when the text runs out of pairs', async () => {
    const report = JSON.parse(
      await run(
        'train',
        '--input',
        corpus,
        '--vocab-size',
        '5000',
        '--out',
        join(directory, 'all'),
        '--json',
      ),
    ) as { vocabSize: number; seconds: number; bytes: number; files: Record<string, string> };
    expect(report.vocabSize).toBeLessThan(5000);
    expect(report.vocabSize).toBeGreaterThan(300);
    expect(report.seconds).toBeGreaterThanOrEqual(0);
    expect(Object.keys(report.files).sort()).toEqual(['bin', 'json', 'model']);
  });

  it('round-trips text through every file it wrote, and through the directory', async () => {
    const text = '  Once upon a time, Zoë saw 12 dogs!\tThe end. ';
    const encoded = await run('encode', '--tokenizer', join(out, 'tokenizer.model'), '--text', text);
    for (const file of ['tokenizer.json', 'tokenizer.bin']) {
      expect(await run('encode', '--tokenizer', join(out, file), '--text', text)).toBe(encoded);
    }
    expect(await run('encode', '--tokenizer', out, '--text', text)).toBe(encoded);
    const decoded = JSON.parse(
      await run('decode', '--tokenizer', out, '--ids', encoded.trim(), '--json'),
    ) as {
      text: string;
    };
    expect(decoded.text).toBe(text);
  });

  it('names a vocabulary size too small and an input it cannot read', async () => {
    const small = await cli('tokenizer', 'train', '--input', corpus, '--vocab-size', '100', '--out', out);
    expect(small.code).toBe(1);
    expect(small.stderr).toBe(
      'mini-llama tokenizer: --vocab-size must be in 260…65536 (3 special and 256 byte pieces come first), got 100\n',
    );
    const missing = join(directory, 'missing.txt');
    const unread = await cli('tokenizer', 'train', '--input', missing, '--vocab-size', '300', '--out', out);
    expect(unread.stderr).toBe(
      `mini-llama tokenizer: --input: cannot read ${missing}: no such file or directory (ENOENT)\n`,
    );
  });
});
