import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, temporaryDirectory, tinyTokenizerBytes } from '../../test/cli-harness.js';

const story = (i: number) =>
  `Once upon a time there was a little fox number ${i}. The fox liked to run in the green forest and eat berries. ` +
  `One day the fox met a bird, and they became friends.\n`;

async function corpus(): Promise<string> {
  const dir = await temporaryDirectory();
  const path = join(dir, 'stories.txt');
  writeFileSync(path, Array.from({ length: 40 }, (_, i) => `${story(i)}<|endoftext|>\n`).join(''));
  return path;
}

const shape = ['--dim', '16', '--layers', '1', '--heads', '2', '--seq-len', '32', '--tokenizer', 'bytes'];
const training = [
  '--batch-size',
  '2',
  '--lr',
  '3e-3',
  '--warmup',
  '2',
  '--eval-every',
  '3',
  '--eval-batches',
  '2',
  '--val-fraction',
  '0.25',
];
const metricsOf = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);

describe('mini-llama pretrain', () => {
  it('trains from text files, writes metrics, run-config and a loadable model, and resumes exactly', async () => {
    const data = await corpus();
    const straight = await temporaryDirectory();
    const run = await cli(
      'pretrain',
      '--data',
      data,
      ...shape,
      ...training,
      '--steps',
      '6',
      '--out',
      straight,
    );
    expect(run.stderr).not.toMatch(/^mini-llama pretrain:/m);
    expect(run.code).toBe(0);
    const metrics = metricsOf(straight);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics[5]!.loss!).toBeLessThan(metrics[0]!.loss!);
    expect(metrics.filter((m) => m.valLoss !== undefined).map((m) => m.step)).toEqual([3, 6]);
    const config = JSON.parse(readFileSync(join(straight, 'run-config.json'), 'utf8'));
    expect(config.training).toMatchObject({ steps: 6, batchSize: 2, lr: 3e-3, warmup: 2 });
    expect(config.model).toMatchObject({ dim: 16, nLayers: 1, vocabSize: 259 });
    expect(existsSync(join(straight, 'model', 'model.safetensors'))).toBe(true);

    // A crash after step 5, with the checkpoint of step 3 the newest on disk: resuming must redo steps 4–6
    // exactly as the uninterrupted run did them.
    const crashed = await temporaryDirectory();
    const every3 = ['--checkpoint-every', '3', '--keep-last', '5'];
    expect(
      (
        await cli(
          'pretrain',
          '--data',
          data,
          ...shape,
          ...training,
          '--steps',
          '6',
          '--out',
          crashed,
          ...every3,
        )
      ).code,
    ).toBe(0);
    const complete = metricsOf(crashed);
    rmSync(join(crashed, 'checkpoint-000006'), { recursive: true });
    rmSync(join(crashed, 'model'), { recursive: true });
    writeFileSync(
      join(crashed, 'metrics.jsonl'),
      `${readFileSync(join(crashed, 'metrics.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n')}\n`,
    );
    const resumed = await cli('pretrain', '--resume', crashed);
    expect(resumed.stderr).toMatch(/resumed from .*checkpoint-000003 at step 3/);
    expect(resumed.code).toBe(0);
    const again = metricsOf(crashed);
    expect(again.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, line] of again.entries()) {
      expect(line.loss).toBe(complete[i]!.loss);
      expect(line.lr).toBe(complete[i]!.lr);
      expect(line.valLoss).toBe(complete[i]!.valLoss);
    }
    expect(existsSync(join(crashed, 'model', 'model.safetensors'))).toBe(true);
  });

  it('reads --config-file with flags overriding it', async () => {
    const data = await corpus();
    const out = await temporaryDirectory();
    const file = join(out, 'run.json');
    writeFileSync(
      file,
      JSON.stringify({
        model: { dim: 16, nLayers: 1, nHeads: 2, maxSeqLen: 32 },
        data: { train: [data], tokenizer: 'bytes' },
        training: { steps: 5, batchSize: 2, lr: 1e-3 },
      }),
    );
    const run = await cli('pretrain', '--config-file', file, '--steps', '2', '--out', out);
    expect(run.code).toBe(0);
    expect(metricsOf(out)).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(out, 'run-config.json'), 'utf8')).training.lr).toBe(1e-3);
  });

  it('keeps the tokenizer beside the trained model under its canonical name, where generate finds it', async () => {
    const dir = await temporaryDirectory();
    const tokenizer = join(dir, 'tok32.bin'); // a llama2.c tokenizer under its own name, like tok512.bin
    writeFileSync(tokenizer, tinyTokenizerBytes());
    const text = join(dir, 'letters.txt');
    writeFileSync(text, 'the quick brown fox jumps over the lazy dog '.repeat(30));
    const out = join(dir, 'run');
    const run = await cli(
      'pretrain',
      '--data',
      text,
      '--tokenizer',
      tokenizer,
      '--dim',
      '16',
      '--layers',
      '1',
      '--heads',
      '2',
      '--seq-len',
      '16',
      '--steps',
      '1',
      '--batch-size',
      '2',
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    expect(existsSync(join(out, 'model', 'tokenizer.bin'))).toBe(true);
    const generated = await cli(
      'generate',
      '--backend',
      'cpu',
      '--model',
      join(out, 'model'),
      '--prompt',
      'the fox',
      '--max-new-tokens',
      '3',
      '--json',
    );
    expect(generated.stderr).not.toMatch(/^mini-llama generate:/m);
    expect(generated.code).toBe(0);
    expect(JSON.parse(generated.stdout).promptTokens[0]).toBe(1); // BOS, from the tokenizer it found
  });

  it('names what is wrong', async () => {
    const data = await corpus();
    const out = await temporaryDirectory();
    const noTokenizer = await cli(
      'pretrain',
      '--data',
      data,
      '--dim',
      '16',
      '--layers',
      '1',
      '--heads',
      '2',
      '--steps',
      '1',
      '--batch-size',
      '1',
      '--out',
      out,
    );
    expect(noTokenizer.stderr).toMatch(
      /mini-llama pretrain: data\.train: text files need a tokenizer \(--tokenizer PATH/,
    );
    const noSteps = await cli('pretrain', '--data', data, ...shape, '--batch-size', '1', '--out', out);
    expect(noSteps.stderr).toMatch(/training\.steps/);
    const badFile = join(out, 'bad.json');
    writeFileSync(badFile, '{"model": ');
    expect((await cli('pretrain', '--config-file', badFile, '--out', out)).stderr).toMatch(
      /--config-file .*bad\.json: invalid JSON/,
    );
    expect((await cli('pretrain', '--resume', join(out, 'nowhere'))).stderr).toMatch(
      /--resume: .*run-config\.json not found/,
    );
  });
});
