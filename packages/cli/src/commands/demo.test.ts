import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cli, temporaryDirectory } from '../../test/cli-harness.js';
import { runCli } from '../cli.js';
import { bufferIo } from '../io.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

// The quick study with fewer steps still: every stage runs for real, on tiny budgets.
const SMALL = [
  '--quick',
  '--steps',
  '24',
  '--finetune-steps',
  '6',
  '--alphas',
  '0,0.5,1',
  '--seeds',
  '2',
  '--backend',
  'wasm',
];

describe('mini-llama demo', () => {
  it('runs the whole study: report.json and report.html with every section; a second run reuses it', async () => {
    const out = join(await temporaryDirectory(), 'study');
    const run = await cli('demo', ...SMALL, '--out', out);
    expect(run.stderr).not.toMatch(/^mini-llama demo:/m);
    expect(run.code).toBe(0);
    for (const stage of [
      'tokenizer',
      'pretrain',
      'perplexity',
      'zero-shot',
      'finetune-full',
      'finetune-lora',
      'WiSE-FT',
    ]) {
      expect(run.stderr).toMatch(new RegExp(`^demo ▸ ${stage}`, 'm'));
    }
    expect(run.stdout).toMatch(/^> The jury said/m);
    expect(run.stdout).toContain(`report: ${join(out, 'report.html')}`);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.labelNames).toEqual(['fiction', 'learned', 'nonfiction', 'press']);
    expect(report.sizes).toEqual({ train: 400, val: 100, test: 100 });
    expect(report.sets.map((set: { name: string }) => set.name)).toEqual([
      'in-domain test',
      'ood.tsv (held-out genres)',
    ]);
    for (const set of report.sets) expect(set.majorityRate).toBe(0.25); // four labels, balanced sets
    expect(report.perplexity.perplexity).toBeGreaterThan(1);
    expect(report.perplexity.bitsPerByte).toBeGreaterThan(0);
    expect(report.continuations).toHaveLength(3);
    for (const { prompt, continuation } of report.continuations) {
      expect(run.stdout).toContain(`> ${prompt}${continuation}\n`);
      expect(continuation.length).toBeGreaterThan(0);
    }
    const rows = report.classification as {
      model: string;
      id: { mean: number; low: number; high: number; seeds: number };
      oodMean: { mean: number } | null;
    }[];
    expect(rows.map((row) => row.model)).toEqual([
      'zero-shot (label words, centred)',
      'fine-tuned in full',
      'LoRA r 4 (+ head)',
      expect.stringMatching(/^WiSE-FT at the chosen α \(α = /),
    ]);
    // every accuracy is { mean, low, high, seeds }; the fine-tunes pool both seeds
    for (const row of rows) {
      expect(row.id.low).toBeLessThanOrEqual(row.id.mean);
      expect(row.id.high).toBeGreaterThanOrEqual(row.id.mean);
      expect(row.id.mean).toBeGreaterThanOrEqual(0);
      expect(row.id.mean).toBeLessThanOrEqual(1);
    }
    expect(rows.map((row) => row.id.seeds)).toEqual([1, 2, 2, 2]);
    // the zero-shot classifier: label words, centred on the training texts, saved for the fine-tunes to start from
    expect(report.zeroShot.head).toMatchObject({ template: '{text}\n', centredOn: 400 });
    expect(run.stderr).toContain(`head: ${join(out, 'zero-shot')}'s (fiction, learned, nonfiction, press)`);
    expect(report.trainable.loraShare).toBeGreaterThan(0);
    expect(report.trainable.loraShare).toBeLessThan(0.05);
    expect(report.wiseFt.sweep.map((point: { alpha: number }) => point.alpha)).toEqual([0, 0.5, 1]);
    expect(report.wiseFt.chosen).toHaveLength(2);
    // α = 1 is the fully fine-tuned classifier and α = 0 the zero-shot classifier, on the same sets
    expect(report.wiseFt.sweep[2].id).toEqual(rows[1]!.id);
    expect(report.wiseFt.sweep[0].id).toEqual(rows[0]!.id);
    expect(report.answers.wiseFt).toMatch(
      /^(WiSE-FT \(α = |Validation chose α = 1, the fine-tuned model itself)/,
    );
    expect(report.answers.lora).toMatch(/^LoRA against full fine-tuning \(one learning rate each, 2 seeds\)/);
    // the LoRA share is the one the fine-tune printed (peft's count)
    const printed = /trainable%: ([\d.]+)/.exec(run.stderr)?.[1];
    expect(printed).toBeDefined();
    expect(100 * report.trainable.loraShare).toBeCloseTo(Number(printed), 3);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const title of [
      'Answers',
      'Does WiSE-FT buy robustness out of domain?',
      'Pretraining loss',
      'Fine-tuning loss, in full',
      'Pretrained model on held-out text',
      'Continuations',
      'majority-class rate',
      'WiSE-FT: accuracy over α',
    ]) {
      expect(html).toContain(title);
    }

    const again = await cli('demo', ...SMALL, '--out', out);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      /demo: reusing the finished stages of .*: data, tokenizer, pretrain, perplexity, continuations, zero-shot, finetune-full, finetune-lora, evaluate, wise-ft/,
    );
    expect(again.stderr).not.toMatch(/^demo ▸ pretrain/m);

    // --lr-grid adds the stability stage to the finished study: LoRA and full over learning rates × seeds
    const grid = await cli('demo', ...SMALL, '--lr-grid', '--out', out);
    expect(grid.stderr).not.toMatch(/^mini-llama demo:/m);
    expect(grid.code).toBe(0);
    expect(grid.stderr).toMatch(
      /^demo ▸ stability: full fine-tuning at lr 0.0003, 0.001, 0.003 and LoRA at lr 0.001, 0.003, 0.01, 2 seeds each/m,
    );
    expect(grid.stderr).not.toMatch(/^demo ▸ finetune-full/m);
    const withGrid = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(withGrid.stability.cells).toHaveLength(6);
    for (const cell of withGrid.stability.cells) {
      expect(cell.seeds).toBe(2);
      expect(cell.stepsToTarget).toHaveLength(2);
    }
    expect(withGrid.answers.lora).toMatch(
      /^Over learning rates 1e-3, 3e-3, 1e-2 \(LoRA\) and 3e-4, 1e-3, 3e-3 \(full\), 2 seeds each/,
    );
    const metrics = readFileSync(join(out, 'stability', 'lora-lr0.01', 'seed-1', 'metrics.jsonl'), 'utf8');
    expect(metrics).toContain('"valAccuracy"');

    if (!haveChromium) return;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(out, 'report.html')}`);
      const charts = await page.$$eval('figure.chart > svg', (svgs) =>
        svgs.map((svg) => ({
          width: svg.getBoundingClientRect().width,
          lines: svg.querySelectorAll('.mark-line.role-mark path').length,
          rects: svg.querySelectorAll('.mark-rect.role-mark path').length,
        })),
      );
      // pretraining loss, fine-tuning loss (full, LoRA), the α sweep, two confusion matrices
      expect(charts).toHaveLength(6);
      for (const chart of charts) expect(chart.width).toBeGreaterThan(100);
      expect(charts[0]!.lines).toBe(2); // train, validation
      expect(charts[1]!.lines).toBe(4); // 2 seeds × (train, validation)
      expect(charts[2]!.lines).toBe(4);
      expect(charts[3]!.lines).toBe(2); // in domain, the OOD set
      expect(charts[4]!.rects).toBe(16);
    } finally {
      await browser.close();
    }
  }, 600_000);

  it('Ctrl-C during pretraining leaves a checkpoint; the next run resumes from it', async () => {
    const out = join(await temporaryDirectory(), 'interrupted');
    const io = bufferIo();
    let sent = false;
    const stderr = io.stderr.write;
    io.stderr = {
      write: (text: string) => {
        const step = Number(/^step (\d+)\/40/m.exec(text)?.[1] ?? 0);
        if (!sent && step >= 5 && step <= 30) {
          sent = true;
          process.emit('SIGINT');
        }
        return stderr(text);
      },
    };
    const argv = [
      'demo',
      '--quick',
      '--steps',
      '40',
      '--finetune-steps',
      '4',
      '--alphas',
      '0,1',
      '--seeds',
      '1',
      '--backend',
      'wasm',
      '--out',
      out,
    ];
    const code = await runCli(argv, io);
    expect(sent).toBe(true);
    expect(code).not.toBe(0);
    expect(io.err()).toMatch(/interrupted: finishing this step and writing a checkpoint/);
    expect(io.err()).toMatch(
      /mini-llama demo: interrupted during pretrain; run `mini-llama demo --quick --out .*` again to resume/,
    );
    const resumed = await cli(...argv);
    expect(resumed.stderr).not.toMatch(/^mini-llama demo:/m);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/demo ▸ pretrain: resuming/);
    const at = Number(/resumed from .*checkpoint-\d+ at step (\d+)/.exec(resumed.stderr)?.[1]);
    expect(at).toBeGreaterThanOrEqual(5);
    expect(at).toBeLessThan(40);
    const steps = readFileSync(join(out, 'pretrain', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).step as number);
    expect(steps.at(-1)).toBe(40);
  }, 600_000);

  const shared = join(import.meta.dirname, '../../../../../shared/data');
  it.skipIf(!existsSync(join(shared, 'sst2')))(
    `--task sst2 --data DIR --ood TASKSPEC runs the classification part on SST-2${existsSync(join(shared, 'sst2')) ? '' : ' (skipped: ../shared/data/sst2 is absent)'}`,
    async () => {
      const out = join(await temporaryDirectory(), 'sst2');
      const imdb = join(shared, 'uci-sentiment/imdb_labelled.txt');
      const run = await cli(
        'demo',
        '--quick',
        '--steps',
        '4',
        '--finetune-steps',
        '2',
        '--alphas',
        '0,1',
        '--seeds',
        '1',
        '--backend',
        'wasm',
        '--task',
        'sst2',
        '--data',
        join(shared, 'sst2'),
        '--ood',
        `uci:${imdb}`,
        '--out',
        out,
      );
      expect(run.stderr).not.toMatch(/^mini-llama demo:/m);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/train 800, in-domain test 200, out-of-domain imdb_labelled\.txt 1000/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.labelNames).toEqual(['negative', 'positive']);
      expect(report.sets).toEqual([
        expect.objectContaining({ name: 'in-domain test', domain: 'ID', n: 200 }),
        { name: 'imdb_labelled.txt', domain: 'OOD', n: 1000, majorityRate: 0.5 },
      ]);
    },
    600_000,
  );

  it('--endpoint linear-probe: a probe per seed, the fine-tunes start from it, WiSE-FT between the two', async () => {
    const out = join(await temporaryDirectory(), 'lp-ft');
    const run = await cli('demo', ...SMALL, '--endpoint', 'linear-probe', '--out', out);
    expect(run.stderr).not.toMatch(/^mini-llama demo:/m);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^demo ▸ linear-probe: 2 seeds of 6 steps/m);
    expect(run.stderr).toMatch(
      /^demo ▸ finetune-full: 2 seeds of 6 steps of 8, from the seed’s linear probe/m,
    );
    expect(run.stderr).toMatch(
      /head: .*linear-probe\/seed-0\/model's \(fiction, learned, nonfiction, press\)/,
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const start = report.classification[1];
    expect(start.model).toBe('linear probe (α = 0)');
    expect(start.id.seeds).toBe(2);
    expect(report.wiseFt.sweep[0].id).toEqual(start.id);
    // the run directory remembers its endpoint
    const other = await cli('demo', ...SMALL, '--out', out);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('holds a study from the linear-probe endpoint, not the zero-shot one');
  }, 600_000);

  it('says what is wrong with the flags', async () => {
    expect((await cli('demo', '--task', 'sst2')).stderr).toMatch(/--task sst2 needs --data DIR/);
    expect((await cli('demo', '--data', 'x')).stderr).toMatch(/--data needs --task sst2 or ag_news/);
    expect((await cli('demo', '--task', 'imdb')).stderr).toMatch(/--task must be one of sst2, ag_news/);
  });

  it('--base studies a given pretrained model with its own tokenizer: nothing is pretrained, the report says so', async () => {
    const directory = await temporaryDirectory();
    const root = join(import.meta.dirname, '..', '..', '..', '..');
    const text = join(root, 'docs', 'architecture.md');
    const tokenizer = await cli(
      'tokenizer',
      'train',
      '--input',
      text,
      '--vocab-size',
      '320',
      '--out',
      join(directory, 'tok'),
    );
    expect(tokenizer.code, tokenizer.stderr).toBe(0);
    const pretrain = await cli(
      ...['pretrain', '--dim', '32', '--layers', '2', '--heads', '4', '--kv-heads', '2', '--seq-len', '64'],
      ...['--tokenizer', join(directory, 'tok', 'tokenizer.model'), '--data', text, '--steps', '4'],
      ...['--batch-size', '4', '--out', join(directory, 'base')],
    );
    expect(pretrain.code, pretrain.stderr).toBe(0);
    const base = join(directory, 'base', 'model');

    const out = join(directory, 'study');
    const run = await cli('demo', ...SMALL, '--base', base, '--out', out);
    expect(run.stderr).not.toMatch(/^mini-llama demo:/m);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^demo ▸ pretrain: none, the base is ${base}`, 'm'));
    expect(existsSync(join(out, 'pretrain'))).toBe(false);
    expect(existsSync(join(out, 'tokenizer'))).toBe(false);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.base).toBe(base);
    expect(report.classification).toHaveLength(4);
    expect(report.continuations).toHaveLength(3);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(
      'dim 32, 2 layers, 4 heads / 2 KV heads, its own 320-token vocabulary), not trained here',
    );

    // the same directory refuses a study of another model, rather than mixing stages of two
    const other = await cli('demo', ...SMALL, '--out', out);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `holds a study of the base ${base}, not of one pretrained here: start it over with --fresh`,
    );
  });
});
