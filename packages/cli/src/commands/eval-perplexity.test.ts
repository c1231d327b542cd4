import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { prepareCorpus } from '@mini-llama/data/node';
import { textPerplexity } from '@mini-llama/eval';
import { loadModel } from '@mini-llama/model/node';
import { ByteTokenizer, Llama2cTokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import {
  cli,
  saveTinyAdapter,
  saveTinyModel,
  TINY_CONFIG,
  temporaryDirectory,
  tinyTokenizerBytes,
} from '../../test/cli-harness.js';

const BYTE_MODEL = { ...TINY_CONFIG, vocabSize: 259 };
const text = 'the cat sat on the mat. the dog ran in the park. '.repeat(3);

describe('mini-llama eval perplexity', () => {
  it('scores a text file as the library does, and prints JSON or a table', async () => {
    const dir = await temporaryDirectory();
    const model = await saveTinyModel(dir, BYTE_MODEL, 3);
    const data = join(dir, 'text.txt');
    writeFileSync(data, text);
    const run = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      data,
      '--tokenizer',
      'bytes',
      '--stride',
      '8',
      '--backend',
      'cpu',
      '--json',
    );
    expect(run.stderr).not.toMatch(/^mini-llama eval:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    await useBackend('cpu');
    const { model: loaded } = await loadModel(model);
    const expected = await textPerplexity(loaded, new ByteTokenizer(), text, { stride: 8 });
    loaded.dispose();
    expect(result.nll).toBeCloseTo(expected.nll, 6);
    expect(result).toMatchObject({
      tokens: text.length,
      bytes: text.length,
      windowSize: 32,
      stride: 8,
      split: null,
    });
    expect(result.bitsPerByte).toBeCloseTo(expected.bitsPerByte!, 6);
    expect(result.perplexity).toBeGreaterThan(1);

    const table = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      data,
      '--tokenizer',
      'bytes',
      '--backend',
      'cpu',
    );
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^perplexity +\d+\.\d{4}$/m);
    expect(table.stdout).toMatch(/^bits\/byte +\d+\.\d{4}$/m);
    expect(table.stdout).toMatch(/^window +32 tokens, stride 16$/m);
  });

  it('takes the tokenizer from the model folder, and scores prepared shards (bits per byte with a tokenizer)', async () => {
    const dir = await temporaryDirectory();
    const model = await saveTinyModel(dir); // vocabulary of 32: the tiny tokenizer.bin
    writeFileSync(join(model, 'tokenizer.bin'), tinyTokenizerBytes());
    const words = 'the bat sat on a hat';
    writeFileSync(join(dir, 'words.txt'), words);
    const fromFolder = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      join(dir, 'words.txt'),
      '--backend',
      'cpu',
      '--json',
    );
    expect(fromFolder.code).toBe(0);
    const tokenizer = Llama2cTokenizer.fromBytes(tinyTokenizerBytes(), 'tokenizer.bin');
    expect(JSON.parse(fromFolder.stdout).tokens).toBe(tokenizer.encode(words).length);

    const shards = join(dir, 'shards');
    const val = join(dir, 'val.txt');
    const held = 'the hat sat on the bat and the rat sat on the mat';
    writeFileSync(val, held);
    await mkdir(shards);
    await prepareCorpus({
      tokenizer,
      tokenizerName: 'tokenizer.bin',
      inputs: [join(dir, 'words.txt')],
      valInputs: [val],
      outDir: shards,
    });
    const scored = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      shards,
      '--backend',
      'cpu',
      '--json',
    );
    expect(scored.code).toBe(0);
    const result = JSON.parse(scored.stdout);
    expect(result.split).toBe('val');
    expect(result.tokens).toBe(tokenizer.encode(held, { bos: true }).length - 1);
    expect(result.bytes).toBe(held.length); // decoded from the shards: the text back, byte for byte
    expect(result.bitsPerByte).toBeCloseTo((result.nll * result.tokens) / Math.LN2 / held.length, 8);
  });

  it('--adapter scores the model with the adapter merged, as `merge` writes it', async () => {
    const dir = await temporaryDirectory();
    const model = await saveTinyModel(dir, BYTE_MODEL, 3);
    const adapter = await saveTinyAdapter(model, dir, { name: 'lora', seed: 4 });
    const data = join(dir, 'text.txt');
    writeFileSync(data, text);
    const merged = join(dir, 'merged');
    expect((await cli('merge', '--model', model, '--adapter', adapter, '--out', merged)).code).toBe(0);
    const score = async (...args: string[]) => {
      const run = await cli('eval', 'perplexity', ...args, '--data', data, '--tokenizer', 'bytes', '--json');
      expect(run.stderr).not.toMatch(/^mini-llama/m);
      return JSON.parse(run.stdout).perplexity as number;
    };
    const withAdapter = await score('--model', model, '--adapter', adapter);
    expect(withAdapter).toBeCloseTo(await score('--model', merged), 4);
    expect(withAdapter).not.toBeCloseTo(await score('--model', model), 4);
  });

  it('says what is wrong with the input', async () => {
    const dir = await temporaryDirectory();
    const model = await saveTinyModel(dir, BYTE_MODEL);
    writeFileSync(join(dir, 'text.txt'), text);
    const missing = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      join(dir, 'nope.txt'),
      '--tokenizer',
      'bytes',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mini-llama eval: --data: no such file or directory: .*nope\.txt$/m);
    const noTokenizer = await cli('eval', 'perplexity', '--model', model, '--data', join(dir, 'text.txt'));
    expect(noTokenizer.stderr).toMatch(
      /the data is a text file, which must be tokenized, and no tokenizer was found next to/,
    );
    const noManifest = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      dir,
      '--tokenizer',
      'bytes',
    );
    expect(noManifest.stderr).toMatch(/is a directory without manifest\.json/);
    const stride = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      join(dir, 'text.txt'),
      '--tokenizer',
      'bytes',
      '--stride',
      '40',
      '--backend',
      'cpu',
    );
    expect(stride.stderr).toMatch(/stride 40 is larger than the window of 32 tokens/);
    const wrongTokenizer = await cli(
      'eval',
      'perplexity',
      '--model',
      model,
      '--data',
      join(dir, 'text.txt'),
      '--tokenizer',
      'llama2',
      '--backend',
      'cpu',
    );
    expect(wrongTokenizer.stderr).toMatch(/llama2 has 32000 tokens but the model's vocabulary has 259/);
    const modelMissing = await cli(
      'eval',
      'perplexity',
      '--model',
      join(dir, 'none'),
      '--data',
      join(dir, 'text.txt'),
      '--tokenizer',
      'bytes',
      '--backend',
      'cpu',
    );
    expect(modelMissing.code).toBe(1);
    expect(modelMissing.stderr).toMatch(/none: no such file or directory/);
  });
});
