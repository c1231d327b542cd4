import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/llama2-fixture.js';
import { parseModelProto, trainBpe } from '../index.js';
import { loadTokenizer, saveTokenizer } from './index.js';

describe('saveTokenizer', () => {
  const model = trainBpe(
    fixture.cases.map(({ text }) => text),
    { vocabSize: 600 },
  );

  it('writes tokenizer.model, tokenizer.json and tokenizer.bin that load back to the same encoder', async () => {
    const directory = join(await mkdtemp(join(tmpdir(), 'mini-llama-save-')), 'nested', 'out');
    const files = await saveTokenizer(model, directory);
    expect(files).toEqual({
      model: join(directory, 'tokenizer.model'),
      json: join(directory, 'tokenizer.json'),
      bin: join(directory, 'tokenizer.bin'),
    });
    expect((await readdir(directory)).sort()).toEqual(['tokenizer.bin', 'tokenizer.json', 'tokenizer.model']);
    expect(parseModelProto(new Uint8Array(await readFile(files.model)))).toEqual(model);
    const text = 'Once upon a time, a  cat said "hi!"\n日本 🦙 ';
    const expected = (await loadTokenizer(files.model)).encode(text);
    for (const file of [files.json, files.bin])
      expect((await loadTokenizer(file)).encode(text)).toEqual(expected);
  });

  it('replaces files already there', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'mini-llama-save-'));
    await writeFile(join(directory, 'tokenizer.json'), 'old');
    await saveTokenizer(model, directory);
    expect(JSON.parse(await readFile(join(directory, 'tokenizer.json'), 'utf8'))).toHaveProperty(
      'model.type',
      'BPE',
    );
  });
});
