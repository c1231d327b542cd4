import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import { cli, temporaryDirectory } from '../testing.js';
import { promptCompletionBatch } from './finetune.js';

/** A base model to fine-tune: a short byte-level pretraining run. */
async function baseModel(): Promise<string> {
  const dir = await temporaryDirectory();
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'the cat sat on the mat. the dog ran in the park. '.repeat(40));
  const run = await cli(
    'pretrain',
    '--data',
    text,
    '--tokenizer',
    'bytes',
    '--dim',
    '16',
    '--layers',
    '1',
    '--heads',
    '2',
    '--seq-len',
    '48',
    '--steps',
    '2',
    '--batch-size',
    '2',
    '--out',
    join(dir, 'run'),
  );
  expect(run.code).toBe(0);
  return join(dir, 'run', 'model');
}

describe('mini-llama finetune', () => {
  it('classification: trains a head on a TSV task, reports accuracy, saves the head and labels', async () => {
    const base = await baseModel();
    const dir = await temporaryDirectory();
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        i % 2 ? `great fun film ${i}\tpositive` : `awful dull film ${i}\tnegative`,
      ).join('\n');
    writeFileSync(join(dir, 'train.tsv'), rows(32));
    writeFileSync(join(dir, 'dev.tsv'), rows(8));
    const out = join(dir, 'run');
    const run = await cli(
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--task',
      `tsv:${join(dir, 'train.tsv')}`,
      '--eval-task',
      `tsv:${join(dir, 'dev.tsv')}`,
      '--steps',
      '25',
      '--batch-size',
      '8',
      '--lr',
      '1e-2',
      '--eval-every',
      '5',
      '--weight-decay',
      '0',
      '--out',
      out,
    );
    expect(run.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(run.code).toBe(0);
    const accuracy = Number(/validation accuracy ([\d.]+) \(8 examples\)/.exec(run.stdout)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.75); // "great"/"awful" separate the classes
    expect(JSON.parse(readFileSync(join(out, 'model', 'labels.json'), 'utf8')).labelNames).toEqual([
      'negative',
      'positive',
    ]);
    expect(existsSync(join(out, 'model', 'classifier.safetensors'))).toBe(true);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.filter((m) => m.valLoss !== undefined)).toHaveLength(5);
  });

  it('LM fine-tuning: trains on prompt/completion JSONL', async () => {
    const base = await baseModel();
    const dir = await temporaryDirectory();
    const data = join(dir, 'qa.jsonl');
    writeFileSync(
      data,
      Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({ prompt: `Q: what is ${i} plus one? A:`, completion: ` ${i + 1}` }),
      ).join('\n'),
    );
    const out = join(dir, 'run');
    const run = await cli(
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--lm-data',
      data,
      '--steps',
      '3',
      '--batch-size',
      '4',
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('LM fine-tuning batches leave the prompt out of the loss', () => {
    const tokenizer = new ByteTokenizer(); // id = byte + 3, BOS 1, EOS 2
    const batch = promptCompletionBatch(
      [
        { prompt: 'ab', completion: 'c' },
        { prompt: 'x', completion: 'yz' },
      ],
      tokenizer,
      64,
    );
    // row 0: BOS a b c EOS → inputs BOS a b c, targets −100 −100 c EOS (predicting a and b is the prompt's job)
    // row 1: BOS x y z EOS → inputs BOS x y z, targets −100 y z EOS
    const [a, b, c, x, y, z] = [...'abcxyz'].map((ch) => ch.charCodeAt(0) + 3);
    expect(batch.seqLen).toBe(4);
    expect(Array.from(batch.inputs)).toEqual([1, a, b, c, 1, x, y, z]);
    expect(Array.from(batch.targets)).toEqual([-100, -100, c, 2, -100, y, z, 2]);
    expect(Array.from(batch.attentionMask!)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('names what is missing', async () => {
    const out = await temporaryDirectory();
    expect((await cli('finetune', '--task', 'tsv:x.tsv', '--out', out)).stderr).toMatch(
      /--init WEIGHTS is required/,
    );
    const base = await baseModel();
    expect(
      (await cli('finetune', '--init', base, '--out', out, '--steps', '1', '--batch-size', '1')).stderr,
    ).toMatch(/give exactly one of --task TASKSPEC \(classification\) or --lm-data FILE/);
    const bad = join(out, 'bad.jsonl');
    writeFileSync(bad, '{"question": "x"}\n');
    const run = await cli(
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--lm-data',
      bad,
      '--steps',
      '1',
      '--batch-size',
      '1',
      '--out',
      out,
    );
    expect(run.stderr).toMatch(/bad\.jsonl:1: needs string fields "prompt" and "completion"/);
  });
});
