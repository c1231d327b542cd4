import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWeightModel } from '@mini-llama/wise-ft/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, saveTinyModel, TINY_CONFIG, temporaryDirectory } from '../../test/cli-harness.js';

const BYTE_MODEL = { ...TINY_CONFIG, vocabSize: 259, maxSeqLen: 48 };

function writeTsv(path: string, n: number, offset = 0): void {
  const rows = Array.from({ length: n }, (_, i) =>
    (i + offset) % 3 ? `good fun ${i}\tb` : `dull sad ${i}\ta`,
  );
  writeFileSync(path, `text\tlabel\n${rows.join('\n')}\n`);
}

describe('mini-llama soup', () => {
  let dir: string;
  let models: string[];
  const common = ['--tokenizer', 'bytes', '--backend', 'cpu'];

  beforeAll(async () => {
    dir = await temporaryDirectory();
    const base = await saveTinyModel(dir, BYTE_MODEL, 7);
    writeTsv(join(dir, 'train.tsv'), 24);
    writeTsv(join(dir, 'dev.tsv'), 12, 1);
    models = [];
    for (const [seed, lr] of <[string, string][]>[
      ['1', '0.01'],
      ['2', '0.02'],
      ['3', '0.5'], // a learning rate that wrecks the model: greedy should leave it out
    ]) {
      const out = join(dir, `ft-${seed}`);
      const run = await cli(
        'finetune',
        '--init',
        base,
        '--task',
        `tsv:${join(dir, 'train.tsv')}`,
        '--head',
        'zero-shot',
        '--steps',
        '4',
        '--batch-size',
        '4',
        '--lr',
        lr,
        '--seed',
        seed,
        '--out',
        out,
        ...common,
      );
      expect(run.code).toBe(0);
      models.push(join(out, 'model'));
    }
  });

  it('a uniform soup is the mean of every tensor, head included, saved with the labels and prompt', async () => {
    const out = join(dir, 'uniform');
    const run = await cli(
      'soup',
      '--models',
      ...models,
      '--out',
      out,
      '--held-out',
      `tsv:${join(dir, 'dev.tsv')}`,
      '--json',
      ...common,
    );
    expect(run.stderr).not.toMatch(/^mini-llama soup:/m);
    expect(run.code).toBe(0);
    const soup = await readWeightModel(out);
    const parts = await Promise.all(models.map((path) => readWeightModel(path)));
    for (const name of ['model.layers.1.mlp.down_proj.weight', 'score.weight']) {
      const mean = parts[0]!.state
        .get(name)!
        .data.map((_, i) => parts.reduce((sum, part) => sum + part.state.get(name)!.data[i]!, 0) / 3);
      let worst = 0;
      soup.state.get(name)!.data.forEach((value, i) => {
        worst = Math.max(worst, Math.abs(value - mean[i]!));
      });
      expect(worst, name).toBeLessThan(1e-6);
    }
    expect(soup.classifier).toEqual(parts[0]!.classifier);
    const summary = JSON.parse(run.stdout);
    expect(summary.ingredients).toEqual(models);
    expect(Object.keys(summary.individualAccuracy)).toEqual(models);
    expect(summary.heldOutAccuracy).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(readFileSync(join(out, 'soup.json'), 'utf8'))).toEqual(summary);
  });

  it('a greedy soup starts from the best model and adds the others only while held-out accuracy holds', async () => {
    const out = join(dir, 'greedy');
    const run = await cli(
      'soup',
      '--models',
      ...models,
      '--mode',
      'greedy',
      '--held-out',
      `tsv:${join(dir, 'dev.tsv')}`,
      '--out',
      out,
      '--json',
      ...common,
    );
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    const { steps, individualAccuracy } = summary;
    expect(steps).toHaveLength(3);
    expect(steps[0].individual).toBe(
      Math.max(...Object.values(individualAccuracy as Record<string, number>)),
    );
    let score = steps[0].individual;
    for (const step of steps.slice(1)) {
      expect(step.added).toBe(step.withIt >= score);
      if (step.added) score = step.withIt;
    }
    expect(summary.heldOutAccuracy).toBe(score);
    expect(summary.ingredients).toEqual(
      steps.filter((step: { added: boolean }) => step.added).map((step: { name: string }) => step.name),
    );
    expect(run.stderr).toMatch(/^added {2}.*alone \d\.\d{4}, soup with it/m);
  });

  it('says what is wrong with the input', async () => {
    const one = await cli('soup', '--models', models[0]!, '--out', join(dir, 'x'));
    expect(one.stderr).toMatch(/a soup needs at least two models/);
    const greedy = await cli('soup', '--models', ...models, '--mode', 'greedy', '--out', join(dir, 'x'));
    expect(greedy.stderr).toMatch(/--mode greedy needs --held-out TASKSPEC/);
    const base = join(dir, 'tiny-hf');
    const mixed = await cli('soup', '--models', models[0]!, base, '--out', join(dir, 'x'));
    expect(mixed.stderr).toMatch(/are not both classifiers/);
    const other = await saveTinyModel(join(dir, 'other'), BYTE_MODEL, 9);
    const lms = await cli('soup', '--models', base, other, '--out', join(dir, 'lm-soup'));
    expect(lms.code).toBe(0);
    const wide = await saveTinyModel(join(dir, 'wide'), { ...BYTE_MODEL, dim: 24 }, 9);
    const shapes = await cli('soup', '--models', base, wide, '--out', join(dir, 'x'));
    expect(shapes.stderr).toMatch(/differ in architecture/);
  });
});
