import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { evaluateZeroShot, genericPrompt } from '@mini-llama/eval';
import { readWeightFile } from '@mini-llama/formats/node';
import type { StateDict } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { readWeightModel } from '@mini-llama/wise-ft/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, saveTinyModel, TINY_CONFIG, temporaryDirectory } from '../../test/cli-harness.js';

const BYTE_MODEL = { ...TINY_CONFIG, vocabSize: 259, maxSeqLen: 48 };

/** text<TAB>label rows; labels a / b (single bytes after the prompt's shared space). */
function writeTsv(path: string, n: number, offset = 0): void {
  const rows = Array.from({ length: n }, (_, i) =>
    (i + offset) % 3 ? `good fun ${i}\tb` : `dull sad ${i}\ta`,
  );
  writeFileSync(path, `text\tlabel\n${rows.join('\n')}\n`);
}

function maxDifference(a: StateDict, b: StateDict, names = [...a.keys()]): number {
  let worst = 0;
  for (const name of names) {
    const x = a.get(name)!.data;
    const y = b.get(name)!.data;
    expect(x.length, name).toBe(y.length);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

describe('mini-llama wise-ft', () => {
  let dir: string;
  let base: string;
  let tuned: string;
  let adapter: string;
  const common = ['--tokenizer', 'bytes', '--backend', 'cpu'];
  const spec = (name: string) => `tsv:${join(dir, name)}`;

  beforeAll(async () => {
    dir = await temporaryDirectory();
    base = await saveTinyModel(dir, BYTE_MODEL, 7);
    writeTsv(join(dir, 'train.tsv'), 24);
    writeTsv(join(dir, 'dev.tsv'), 12, 1);
    writeTsv(join(dir, 'ood.tsv'), 9, 2);
    const train = ['--init', base, '--task', spec('train.tsv'), '--head', 'zero-shot', '--steps', '4'];
    const options = ['--batch-size', '4', '--lr', '0.01', ...common];
    const full = await cli('finetune', ...train, ...options, '--out', join(dir, 'full'));
    expect(full.stderr).toMatch(/head: zero-shot, from the LM head's rows for 'a', 'b'/);
    expect(full.code).toBe(0);
    tuned = join(dir, 'full', 'model');
    const lora = await cli('finetune', ...train, ...options, '--lora-rank', '2', '--out', join(dir, 'lora'));
    expect(lora.code).toBe(0);
    adapter = join(dir, 'lora');
  });

  it('finetune --head zero-shot records the prompt, with the label words’ shared space moved into it', () => {
    const labels = JSON.parse(readFileSync(join(tuned, 'labels.json'), 'utf8'));
    expect(labels).toEqual({
      labelNames: ['a', 'b'],
      prompt: { template: '{text}\nLabel: ', verbalizers: ['a', 'b'] },
      maxLength: expect.any(Number),
    });
    expect(JSON.parse(readFileSync(join(adapter, 'labels.json'), 'utf8'))).toEqual(labels);
  });

  it('α = 0 is the pretrained model with its zero-shot head and α = 1 the fine-tuned classifier, bit for bit', async () => {
    for (const alpha of ['0', '1']) {
      const save = join(dir, `alpha-${alpha}`);
      const run = await cli(
        'wise-ft',
        '--pretrained',
        base,
        '--finetuned',
        tuned,
        '--alpha',
        alpha,
        '--save',
        save,
        ...common,
      );
      expect(run.stderr).not.toMatch(/^mini-llama wise-ft:/m);
      expect(run.code).toBe(0);
    }
    const pretrained = (await readWeightFile(base)).stateDict;
    const zero = await readWeightModel(join(dir, 'alpha-0'));
    const one = await readWeightModel(join(dir, 'alpha-1'));
    const fine = await readWeightModel(tuned);
    expect(maxDifference(zero.state, pretrained, [...pretrained.keys()])).toBe(0);
    expect(maxDifference(one.state, fine.state)).toBe(0);
    // the zero-shot head: the LM-head rows of 'a' and 'b' (byte ids 97 + 3 and 98 + 3)
    const lmHead = pretrained.get('lm_head.weight') ?? pretrained.get('model.embed_tokens.weight')!; // tied when absent
    const dim = BYTE_MODEL.dim;
    expect(Array.from(zero.state.get('score.weight')!.data)).toEqual([
      ...lmHead.data.subarray(100 * dim, 101 * dim),
      ...lmHead.data.subarray(101 * dim, 102 * dim),
    ]);
    expect(zero.classifier).toEqual(fine.classifier);
  });

  it('sweeps α with ID and OOD accuracy: results.jsonl, report.json, report.html; the ends match eval classify', async () => {
    const out = join(dir, 'sweep');
    const run = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      tuned,
      '--alphas',
      '0,0.5,1',
      '--id',
      spec('dev.tsv'),
      '--ood',
      spec('ood.tsv'),
      '--out',
      out,
      '--json',
      ...common,
    );
    expect(run.stderr).not.toMatch(/^mini-llama wise-ft:/m);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/α=0\.5 \(2\/3\) {2}tsv:dev\.tsv 0\.\d{4} {2}tsv:ood\.tsv/);
    const lines = readFileSync(join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.alpha)).toEqual([0, 0.5, 1]);
    for (const line of lines) {
      expect(Object.keys(line.accuracy)).toEqual(['tsv:dev.tsv', 'tsv:ood.tsv']);
      expect(line.n).toEqual({ 'tsv:dev.tsv': 12, 'tsv:ood.tsv': 9 });
      expect(line.oodMean).toBe(line.accuracy['tsv:ood.tsv']);
    }
    const summary = JSON.parse(run.stdout);
    expect(summary.mode).toBe('classifier');
    expect(summary.pretrainedHead).toBe('zero-shot');
    const best = Math.max(...lines.map((line) => line.accuracy['tsv:dev.tsv']));
    expect(summary.chosen.accuracy['tsv:dev.tsv']).toBe(best);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).results).toEqual(lines);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Accuracy over α');
    expect(html).toMatch(/<svg[\s\S]*tsv:ood\.tsv \(OOD\)/);

    // α = 1 is the fine-tuned classifier as eval classify sees it (its prompt read from labels.json)
    const evaluated = await cli(
      'eval',
      'classify',
      '--model',
      tuned,
      '--task',
      spec('dev.tsv'),
      '--json',
      ...common,
    );
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).accuracy).toBe(lines[2].accuracy['tsv:dev.tsv']);
    // α = 0 is zero-shot scoring: with one-token label words the zero-shot head picks what scoring picks
    await useBackend('cpu');
    const { model } = await loadModel(base);
    const examples = readFileSync(join(dir, 'dev.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((row) => {
        const [text, label] = row.split('\t');
        return { text: text!, label: label === 'b' ? 1 : 0 };
      });
    const zeroShot = await evaluateZeroShot(model, new ByteTokenizer(), examples, genericPrompt(['a', 'b']));
    model.dispose();
    expect(lines[0].accuracy['tsv:dev.tsv']).toBe(zeroShot.metrics.accuracy);
  });

  it('a LoRA adapter: θ(α) = W₀ + α·scale·B·A equals interpolating the merged weights', async () => {
    const merged = join(dir, 'merged');
    expect((await cli('merge', '--model', base, '--adapter', adapter, '--out', merged)).code).toBe(0);
    for (const [source, path] of [
      ['--adapter', adapter],
      ['--finetuned', merged],
    ] as const) {
      const run = await cli(
        'wise-ft',
        '--pretrained',
        base,
        source,
        path,
        '--alpha',
        '0.3',
        '--save',
        join(dir, `${source}-0.3`),
        ...common,
      );
      expect(run.stderr).not.toMatch(/^mini-llama wise-ft:/m);
      expect(run.code).toBe(0);
    }
    const viaAdapter = await readWeightModel(join(dir, '--adapter-0.3'));
    const viaMerged = await readWeightModel(join(dir, '--finetuned-0.3'));
    expect(maxDifference(viaAdapter.state, viaMerged.state)).toBeLessThan(1e-6);
    const pretrained = (await readWeightFile(base)).stateDict;
    expect(
      maxDifference(viaAdapter.state, pretrained, ['model.layers.0.self_attn.q_proj.weight']),
    ).toBeGreaterThan(0);
    expect(viaAdapter.classifier?.prompt?.template).toBe('{text}\nLabel: ');
  });

  it('a fine-tuned language model is swept by zero-shot label scoring', async () => {
    const run = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      join(dir, 'merged'),
      '--backbone-only',
      '--alphas',
      '0,1',
      '--id',
      spec('dev.tsv'),
      '--out',
      join(dir, 'lm-sweep'),
      ...common,
    );
    // merged is a classifier (the adapter saved its head): --backbone-only keeps that head at both ends
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/wise-ft: classifier \(pretrained head: fine-tuned \(backbone only\)/);
    const lm = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      base,
      '--alphas',
      '0,1',
      '--id',
      spec('dev.tsv'),
      '--out',
      join(dir, 'lm-only'),
      '--json',
      ...common,
    );
    expect(lm.code).toBe(0);
    expect(lm.stderr).toMatch(/language model \(zero-shot label scoring\)/);
    const summary = JSON.parse(lm.stdout);
    expect(summary.results[0].accuracy).toEqual(summary.results[1].accuracy);
  });

  it('LP-FT: a linear probe trains the head alone; the fine-tune from it starts at its head; WiSE-FT between the two', async () => {
    const options = ['--batch-size', '4', '--lr', '0.05', '--steps', '4', ...common];
    const task = ['--task', spec('train.tsv'), '--eval-task', spec('dev.tsv')];
    const probe = await cli(
      ...['finetune', '--init', base, ...task, '--head', 'zero-shot', '--train', 'head', ...options],
      ...['--out', join(dir, 'lp')],
    );
    expect(probe.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(probe.code).toBe(0);
    const headSize = 2 * BYTE_MODEL.dim;
    expect(probe.stderr).toMatch(new RegExp(`${headSize} of [\\d,]+ parameters trained`));
    const lp = join(dir, 'lp', 'model');
    const pretrained = (await readWeightFile(base)).stateDict;
    const probed = await readWeightModel(lp);
    // the features are frozen: every backbone weight is the pretrained one; the head moved from the zero-shot rows
    expect(maxDifference(probed.state, pretrained, [...pretrained.keys()])).toBe(0);
    const zeroShot = await readWeightModel(join(dir, 'alpha-0'));
    expect(maxDifference(probed.state, zeroShot.state, ['score.weight'])).toBeGreaterThan(1e-4);

    const lpft = await cli(
      ...['finetune', '--init', lp, ...task, '--head', 'init', ...options, '--out', join(dir, 'lp-ft')],
    );
    expect(lpft.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(lpft.code).toBe(0);
    expect(lpft.stderr).toContain(`head: ${lp}'s (a, b); texts in "{text}\\nLabel: "`);
    const finetuned = join(dir, 'lp-ft', 'model');
    expect((await readWeightModel(finetuned)).classifier).toEqual(probed.classifier);

    const out = join(dir, 'lp-ft-sweep');
    const run = await cli(
      ...['wise-ft', '--pretrained', lp, '--finetuned', finetuned, '--alphas', '0,0.5,1'],
      ...['--id', spec('dev.tsv'), '--out', out, ...common],
    );
    expect(run.stderr).not.toMatch(/^mini-llama wise-ft:/m);
    expect(run.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(summary.pretrainedHead).toBe('its own');
    // the ends are the probe and the fine-tune, as eval classify scores them
    for (const [alpha, model] of [
      [0, lp],
      [2, finetuned],
    ] as const) {
      const evaluated = await cli(
        'eval',
        'classify',
        '--model',
        model,
        '--task',
        spec('dev.tsv'),
        '--json',
        ...common,
      );
      expect(evaluated.code).toBe(0);
      expect(summary.results[alpha].accuracy[summary.id]).toBe(JSON.parse(evaluated.stdout).accuracy);
    }
    // --save at α = 0 writes the probe back, bit for bit
    const save = join(dir, 'lp-alpha-0');
    expect(
      (
        await cli(
          'wise-ft',
          '--pretrained',
          lp,
          '--finetuned',
          finetuned,
          '--alpha',
          '0',
          '--save',
          save,
          ...common,
        )
      ).code,
    ).toBe(0);
    expect(maxDifference((await readWeightModel(save)).state, probed.state)).toBe(0);

    // a probe and a classifier that read their texts differently are not two ends of one line
    const plain = await cli(
      ...['finetune', '--init', base, ...task, ...options, '--out', join(dir, 'plain')], // random head, raw texts
    );
    expect(plain.code).toBe(0);
    const mixed = await cli(
      ...['wise-ft', '--pretrained', lp, '--finetuned', join(dir, 'plain', 'model'), '--alphas', '0,1'],
      ...['--id', spec('dev.tsv'), '--out', join(dir, 'mixed'), ...common],
    );
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toContain('read their texts differently');
  });

  it('says what is wrong with the input', async () => {
    const both = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      tuned,
      '--adapter',
      adapter,
      '--alpha',
      '1',
      '--save',
      join(dir, 'x'),
    );
    expect(both.stderr).toMatch(/give exactly one of --finetuned PATH or --adapter DIR/);
    const noAlpha = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      tuned,
      '--save',
      join(dir, 'x'),
    );
    expect(noAlpha.stderr).toMatch(/--save needs --alpha A/);
    const noId = await cli('wise-ft', '--pretrained', base, '--finetuned', tuned, '--out', join(dir, 'x'));
    expect(noId.stderr).toMatch(/a sweep needs --id TASKSPEC and --out DIR/);
    const badAlphas = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      tuned,
      '--alphas',
      '0,x',
      '--id',
      spec('dev.tsv'),
      '--out',
      join(dir, 'x'),
      ...common,
    );
    expect(badAlphas.stderr).toMatch(/--alphas: 'x' is not a number/);
    const headed = await cli(
      'wise-ft',
      '--pretrained',
      tuned,
      '--adapter',
      adapter,
      '--alpha',
      '1',
      '--save',
      join(dir, 'x'),
      ...common,
    );
    expect(headed.stderr).toMatch(
      /has a classification head: an adapter's pretrained end must be the language model it was trained on/,
    );
    // a classifier trained on raw texts has no zero-shot counterpart
    const raw = await cli(
      'finetune',
      '--init',
      base,
      '--task',
      spec('train.tsv'),
      '--steps',
      '1',
      '--batch-size',
      '4',
      '--out',
      join(dir, 'raw'),
      ...common,
    );
    expect(raw.code).toBe(0);
    const noPrompt = await cli(
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      join(dir, 'raw', 'model'),
      '--alpha',
      '0.5',
      '--save',
      join(dir, 'x'),
      ...common,
    );
    expect(noPrompt.stderr).toMatch(
      /fine-tuned without a prompt .* --head zero-shot, or interpolate the backbone only with --backbone-only/,
    );
    const other = await saveTinyModel(join(dir, 'other'), { ...BYTE_MODEL, dim: 24, nHeads: 2 }, 3);
    const mismatch = await cli(
      'wise-ft',
      '--pretrained',
      other,
      '--finetuned',
      tuned,
      '--alpha',
      '0.5',
      '--save',
      join(dir, 'x'),
      ...common,
    );
    expect(mismatch.stderr).toMatch(/the two models differ in architecture: .* has shape \[/);
    expect(mismatch.code).not.toBe(0);
  });
});
