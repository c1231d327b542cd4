import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { meanPromptState, verbalizerTokenIds } from '@mini-llama/eval';
import { readClassifierHead } from '@mini-llama/eval/node';
import { loadModel } from '@mini-llama/model/node';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { centredHead, labelWordsHead, lmHeadOf } from '@mini-llama/wise-ft';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, saveTinyModel, TINY_CONFIG, temporaryDirectory } from '../../test/cli-harness.js';

const BYTE_MODEL = { ...TINY_CONFIG, vocabSize: 259, maxSeqLen: 48 };
const bytes = new ByteTokenizer();

describe('mini-llama zero-shot', () => {
  let dir: string;
  let base: string;
  const common = ['--tokenizer', 'bytes', '--backend', 'cpu'];
  const texts = ['good fun 1', 'dull sad 2', 'good fun 3', 'dull 4'];
  const task = () => `tsv:${join(dir, 'train.tsv')}`;
  /** `mini-llama zero-shot` on the tiny model and the training file, with these flags. */
  const zeroShot = (...flags: string[]) =>
    cli('zero-shot', '--model', base, '--task', task(), ...flags, ...common);

  beforeAll(async () => {
    dir = await temporaryDirectory();
    base = await saveTinyModel(dir, BYTE_MODEL, 7);
    writeFileSync(
      join(dir, 'train.tsv'),
      `text\tlabel\n${texts.map((t, i) => `${t}\t${i % 2 ? 'a' : 'b'}`).join('\n')}\n`,
    );
    writeFileSync(join(dir, 'words.json'), JSON.stringify({ a: ['sad', 'dull'], b: ['fun'] }));
  });

  it('saves the centred label-words head the library computes, and eval and finetune take the classifier', async () => {
    const out = join(dir, 'zero-shot');
    const made = await zeroShot('--label-words', join(dir, 'words.json'), '--out', out);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(
      `zero-shot classifier → ${out}: a (2 words), b (1 word); centred on 4 texts`,
    );

    await useBackend('cpu');
    const { model } = await loadModel(base);
    const template = '{text}\nLabel:'; // the generic prompt of a tsv task
    const tokens = [[' sad', ' dull'], [' fun']].map((words) =>
      verbalizerTokenIds(bytes, { template, verbalizers: words }),
    );
    const expected = centredHead(
      labelWordsHead(lmHeadOf(await model.stateDict()), tokens),
      await meanPromptState(model, bytes, texts, { template }),
    );
    model.dispose();
    const head = await readClassifierHead(out);
    for (const [i, value] of head!.scoreWeight.data.entries())
      expect(value).toBeCloseTo(expected.data[i]!, 5);
    expect(JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'))).toMatchObject({
      labelNames: ['a', 'b'],
      prompt: { template },
    });

    const evaluated = await cli('eval', 'classify', '--model', out, '--task', task(), '--json', ...common);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ mode: 'classifier', n: 4 });
    const tuned = await cli(
      'finetune',
      '--init',
      out,
      '--head',
      'init',
      '--task',
      task(),
      '--steps',
      '2',
      '--batch-size',
      '2',
      '--out',
      join(dir, 'tuned'),
      ...common,
    );
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(tuned.stderr).toContain(`head: ${out}'s (a, b)`);
  });

  it('names what is wrong with a label-words file or contradicting flags', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ a: ['sad', ''] }));
    const bad = await zeroShot('--label-words', join(dir, 'bad.json'), '--out', join(dir, 'x'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      `--label-words ${join(dir, 'bad.json')}: "a" must be a list of non-empty words`,
    );
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ c: ['x'] }));
    const other = await zeroShot('--label-words', join(dir, 'other.json'), '--out', join(dir, 'y'));
    expect(other.stderr).toContain('label words for c, which are not labels of the task (a, b)');
    const both = await zeroShot('--centre-on', task(), '--no-centre', '--out', join(dir, 'z'));
    expect(both.stderr).toContain('--centre-on and --no-centre contradict each other');
  });
});
