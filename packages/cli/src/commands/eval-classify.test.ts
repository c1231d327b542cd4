import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { evaluateZeroShot, genericPrompt } from '@mini-llama/eval';
import { loadModel } from '@mini-llama/model/node';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import { cli, saveTinyModel, TINY_CONFIG, temporaryDirectory } from '../../test/cli-harness.js';

const BYTE_MODEL = { ...TINY_CONFIG, vocabSize: 259, maxSeqLen: 48 };

/** A small labelled TSV (text, label columns) of n rows, labels named. */
function writeTsv(path: string, n: number, offset = 0): void {
  const rows = Array.from({ length: n }, (_, i) =>
    (i + offset) % 2 ? `great fun film ${i}\tpositive` : `awful dull film ${i}\tnegative`,
  );
  writeFileSync(path, `text\tlabel\n${rows.join('\n')}\n`);
}

describe('mini-llama eval classify', () => {
  it('zero-shot: reports what the library computes, as JSON, as a table, and as an HTML report', async () => {
    const dir = await temporaryDirectory();
    const model = await saveTinyModel(dir, BYTE_MODEL, 4);
    const data = join(dir, 'dev.tsv');
    writeTsv(data, 12);
    const run = await cli(
      'eval',
      'classify',
      '--model',
      model,
      '--task',
      'tsv',
      '--data',
      data,
      '--zero-shot',
      '--tokenizer',
      'bytes',
      '--limit',
      '10',
      '--backend',
      'cpu',
      '--json',
    );
    expect(run.stderr).not.toMatch(/^mini-llama eval:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    await useBackend('cpu');
    const { model: loaded } = await loadModel(model);
    const rows = readFileSync(data, 'utf8').trim().split('\n').slice(1, 11);
    const examples = rows.map((row) => {
      const [text, label] = row.split('\t');
      return { text: text!, label: label === 'positive' ? 1 : 0 };
    });
    // tsv labels are sorted names: negative = 0, positive = 1
    const expected = await evaluateZeroShot(
      loaded,
      new ByteTokenizer(),
      examples,
      genericPrompt(['negative', 'positive']),
    );
    loaded.dispose();
    expect(result).toMatchObject({
      mode: 'zero-shot',
      data: 'tsv:dev.tsv',
      n: 10,
      accuracy: expected.metrics.accuracy,
      macroF1: expected.metrics.macroF1,
      labelNames: ['negative', 'positive'],
      confusion: expected.metrics.confusion,
      prompt: { template: '{text}\nLabel:', verbalizers: [' negative', ' positive'] },
      calibration: null,
    });
    // every example's label and prediction, so runs can be pooled: they give back the accuracy printed
    expect(result.sets).toHaveLength(1);
    expect(result.sets[0]).toMatchObject({ name: 'tsv:dev.tsv', role: 'id' });
    expect(result.sets[0].labels).toEqual(examples.map((example) => example.label));
    expect(result.sets[0].predictions).toEqual(expected.predictions);

    const report = join(dir, 'out', 'report.html');
    const table = await cli(
      'eval',
      'classify',
      '--model',
      model,
      '--task',
      `tsv:${data}`,
      '--zero-shot',
      '--calibrate',
      '--tokenizer',
      'bytes',
      '--backend',
      'cpu',
      '--report',
      report,
    );
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^mode +zero-shot, calibrated \(content-free "N\/A": negative 0\.\d{4}, positive 0\.\d{4}\)$/m,
    );
    expect(table.stdout).toMatch(/^n +12$/m);
    expect(table.stdout).toMatch(/^accuracy +[01]\.\d{4}$/m);
    expect(table.stdout).toMatch(/^macroF1 +[01]\.\d{4}$/m);
    expect(table.stdout).toMatch(/^negative +[01]\.\d{4} +[01]\.\d{4} +[01]\.\d{4} +6$/m);
    expect(table.stderr).toContain(`report: ${report}`);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/<svg[\s>]/g)).toHaveLength(1); // the confusion matrix
    expect(html).toContain('Calibrated (Zhao et al. 2021)');
  });

  it('a fine-tuned classifier: loads what finetune saved and agrees with the accuracy finetune printed', async () => {
    // --max-length shorter than the texts: evaluation must truncate where training did (labels.json records it)
    const dir = await temporaryDirectory();
    const base = await saveTinyModel(dir, BYTE_MODEL, 5);
    writeTsv(join(dir, 'train.tsv'), 16);
    writeTsv(join(dir, 'dev.tsv'), 8, 1);
    const tuned = await cli(
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
      '3',
      '--batch-size',
      '4',
      '--max-length',
      '6',
      '--out',
      join(dir, 'run'),
      '--backend',
      'cpu',
    );
    expect(tuned.code).toBe(0);
    const printed = Number(/validation accuracy ([\d.]+) \(8 examples\)/.exec(tuned.stdout)?.[1]);
    expect(printed).toBeGreaterThanOrEqual(0);
    const run = await cli(
      'eval',
      'classify',
      '--model',
      join(dir, 'run', 'model'),
      '--task',
      'tsv',
      '--data',
      join(dir, 'dev.tsv'),
      '--tokenizer',
      'bytes',
      '--backend',
      'cpu',
      '--json',
      '--ood',
      `tsv:${join(dir, 'train.tsv')}`,
    );
    expect(run.stderr).not.toMatch(/^mini-llama eval:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.mode).toBe('classifier');
    expect(result.accuracy.toFixed(4)).toBe(printed.toFixed(4));
    expect(result.n).toBe(8);
    expect(result.idOod.id).toEqual({
      name: 'tsv:dev.tsv',
      accuracy: result.accuracy,
      macroF1: result.macroF1,
      n: 8,
    });
    expect(result.idOod.ood).toHaveLength(1);
    expect(result.idOod.oodMean.accuracy).toBe(result.idOod.ood[0].accuracy);
    expect(result.sets.map((set: { role: string }) => set.role)).toEqual(['id', 'ood']);
    for (const [i, set] of result.sets.entries()) {
      const right = set.labels.filter((label: number, j: number) => label === set.predictions[j]).length;
      expect(right / set.labels.length).toBe([result.idOod.id, ...result.idOod.ood][i].accuracy);
    }

    // The same examples with the labels in another order (minllama: `index ||| text` and a mapping file):
    // labels are matched by name, so the score is the same; a set of other labels is refused.
    const reordered = join(dir, 'films-dev.txt');
    const rows = readFileSync(join(dir, 'dev.tsv'), 'utf8').trim().split('\n').slice(1);
    writeFileSync(
      reordered,
      rows.map((row) => `${row.endsWith('positive') ? 0 : 1} ||| ${row.split('\t')[0]}`).join('\n'),
    );
    writeFileSync(join(dir, 'films-label-mapping.json'), JSON.stringify(['positive', 'negative']));
    const classify = (...args: string[]) =>
      cli(
        'eval',
        'classify',
        '--model',
        join(dir, 'run', 'model'),
        '--tokenizer',
        'bytes',
        '--backend',
        'cpu',
        '--json',
        ...args,
      );
    const byName = await classify('--task', 'minllama', '--data', reordered);
    expect(byName.stderr).not.toMatch(/^mini-llama eval:/m);
    expect(JSON.parse(byName.stdout).accuracy).toBe(result.accuracy);
    writeFileSync(join(dir, 'films-label-mapping.json'), JSON.stringify(['good', 'bad']));
    const other = await classify('--task', 'minllama', '--data', reordered);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /the classifier's labels \(negative, positive\) are not .*films-dev\.txt's \(good, bad\): it was fine-tuned on another task/,
    );
  });

  it('says what is wrong with the input', async () => {
    const dir = await temporaryDirectory();
    const model = await saveTinyModel(dir, BYTE_MODEL);
    const data = join(dir, 'dev.tsv');
    writeTsv(data, 4);
    const base = ['eval', 'classify', '--model', model, '--tokenizer', 'bytes', '--backend', 'cpu'];
    const noHead = await cli(...base, '--task', 'tsv', '--data', data);
    expect(noHead.code).toBe(1);
    expect(noHead.stderr).toMatch(
      /no classification head \(classifier\.safetensors, written by `mini-llama finetune --task`\).*pass a classification adapter.*or --zero-shot to score label words/,
    );
    const missing = await cli(...base, '--task', 'sst2', '--data', join(dir, 'missing.tsv'), '--zero-shot');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing\.tsv: cannot read: no such file or directory \(ENOENT\)/);
    const unknown = await cli(...base, '--task', 'imdb', '--data', data, '--zero-shot');
    expect(unknown.stderr).toMatch(/--task: unknown task 'imdb' \(tasks: sst2, ag_news/);
    const unknownSpec = await cli(...base, '--task', `imdb:${data}`, '--zero-shot');
    expect(unknownSpec.stderr).toMatch(/unknown task 'imdb'/);
    const noData = await cli(...base, '--task', 'sst2', '--zero-shot');
    expect(noData.stderr).toMatch(/--data PATH is required with --task sst2/);
    const calibrate = await cli(...base, '--task', 'tsv', '--data', data, '--calibrate');
    expect(calibrate.stderr).toMatch(/--calibrate applies to zero-shot scoring only: add --zero-shot/);
    const verbalizers = await cli(
      ...base,
      '--task',
      'tsv',
      '--data',
      data,
      '--zero-shot',
      '--verbalizers',
      'bad,good,meh',
    );
    expect(verbalizers.stderr).toMatch(/--verbalizers gives 3 words, the dataset has 2 labels/);
    const unlabelled = join(dir, 'test.tsv');
    writeFileSync(unlabelled, 'index\tsentence\n0\ta film\n');
    const test = await cli(...base, '--task', 'sst2', '--data', unlabelled, '--zero-shot');
    expect(test.stderr).toMatch(/has no gold labels/);
    for (const run of [missing, unknown, noData, calibrate, verbalizers, test]) expect(run.code).toBe(1);
  });
});
