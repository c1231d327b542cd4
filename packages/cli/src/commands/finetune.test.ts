import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promptCompletionBatch } from '@mini-llama/data';
import { parseSafetensors } from '@mini-llama/formats';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import { cli, saveTinyModel, TINY_CONFIG, temporaryDirectory } from '../../test/cli-harness.js';

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
      '--eval-accuracy',
      '--out',
      out,
    );
    expect(run.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(run.code).toBe(0);
    const accuracy = Number(/validation accuracy ([\d.]+) \(8 examples\)/.exec(run.stdout)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.75); // "great"/"awful" separate the classes
    const labels = JSON.parse(readFileSync(join(out, 'model', 'labels.json'), 'utf8'));
    expect(labels.labelNames).toEqual(['negative', 'positive']);
    expect(labels.maxLength).toBe(48); // no --max-length: the model's context, recorded for evaluation
    expect(existsSync(join(out, 'model', 'classifier.safetensors'))).toBe(true);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const evaluations = metrics.filter((m) => m.valLoss !== undefined);
    expect(evaluations).toHaveLength(5);
    // --eval-accuracy: the accuracy at every evaluation, the last one the accuracy printed at the end
    for (const m of evaluations) expect(m.valAccuracy * 8).toBe(Math.round(m.valAccuracy * 8));
    expect(evaluations.at(-1).valAccuracy).toBe(accuracy);
    expect(metrics.filter((m) => m.valAccuracy !== undefined)).toHaveLength(5);
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
    // a linear probe trains a classification head, and only that
    const lmProbe = await cli(
      ...['finetune', '--init', base, '--tokenizer', 'bytes', '--lm-data', bad, '--train', 'head'],
      ...['--steps', '1', '--batch-size', '1', '--out', out],
    );
    expect(lmProbe.stderr).toMatch(
      /--train head \(a linear probe\) applies to classification \(--task\), without LoRA/,
    );
    const tsv = join(out, 'task.tsv');
    writeFileSync(tsv, 'text\tlabel\ngood\tb\nbad\ta\n');
    const loraProbe = await cli(
      ...['finetune', '--init', base, '--tokenizer', 'bytes', '--task', `tsv:${tsv}`, '--train', 'head'],
      ...['--lora-rank', '2', '--steps', '1', '--batch-size', '1', '--out', out],
    );
    expect(loraProbe.stderr).toMatch(/--train head \(a linear probe\) applies to classification/);
    const noHead = await cli(
      ...['finetune', '--init', base, '--tokenizer', 'bytes', '--task', `tsv:${tsv}`, '--head', 'init'],
      ...['--steps', '1', '--batch-size', '1', '--out', join(out, 'no-head')],
    );
    expect(noHead.stderr).toMatch(/--head init: .* has no classifier\.safetensors beside it/);
  });
});

/** A random base with the byte tokenizer's 259 tokens (no pretraining: LoRA does not care). */
async function byteBase(): Promise<string> {
  return saveTinyModel(await temporaryDirectory(), { ...TINY_CONFIG, vocabSize: 259, maxSeqLen: 64 });
}

async function qaData(dir: string): Promise<string> {
  const data = join(dir, 'qa.jsonl');
  writeFileSync(
    data,
    Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ prompt: `Q: what is ${i} plus one? A:`, completion: ` ${i + 1}` }),
    ).join('\n'),
  );
  return data;
}

const metricsOf = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { step: number; loss: number; valLoss?: number });

describe('mini-llama finetune --resume', () => {
  it('continues a full fine-tune from its run-config.json and latest checkpoint, exactly', async () => {
    const base = await byteBase();
    const dir = await temporaryDirectory();
    const data = await qaData(dir);
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
      '2',
      '--checkpoint-every',
      '1',
      '--keep-last',
      '5',
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    const complete = metricsOf(out);
    rmSync(join(out, 'checkpoint-000003'), { recursive: true });
    rmSync(join(out, 'checkpoint-000002'), { recursive: true });
    writeFileSync(
      join(out, 'metrics.jsonl'),
      `${readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]}\n`,
    );
    const resumed = await cli('finetune', '--resume', out);
    expect(resumed.stderr).toMatch(/resumed from .*checkpoint-000001 at step 1/);
    expect(resumed.code).toBe(0);
    expect(metricsOf(out).map((line) => line.loss)).toEqual(complete.map((line) => line.loss));
    expect(existsSync(join(out, 'model', 'model.safetensors'))).toBe(true);
  });
  it('a classifier fine-tune with --max-length, resumed with no flags, keeps its length (losses and labels.json)', async () => {
    const base = await byteBase();
    const dir = await temporaryDirectory();
    // Texts of 40–50 bytes: truncating them at 16 tokens changes every loss.
    const rows = Array.from({ length: 24 }, (_, i) =>
      i % 2
        ? `a great and very fun film to watch, number ${i}\tpositive`
        : `an awful and very dull film to sit through ${i}\tnegative`,
    ).join('\n');
    writeFileSync(join(dir, 'train.tsv'), rows);
    const out = join(dir, 'run');
    const args = [
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--task',
      `tsv:${join(dir, 'train.tsv')}`,
    ];
    const training = ['--steps', '4', '--batch-size', '4', '--checkpoint-every', '2', '--keep-last', '5'];
    expect((await cli(...args, '--max-length', '16', ...training, '--out', out)).code).toBe(0);
    const complete = metricsOf(out);
    expect(JSON.parse(readFileSync(join(out, 'model', 'labels.json'), 'utf8')).maxLength).toBe(16);
    rmSync(join(out, 'checkpoint-000004'), { recursive: true });
    rmSync(join(out, 'model'), { recursive: true });
    writeFileSync(
      join(out, 'metrics.jsonl'),
      `${readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n')}\n`,
    );
    const resumed = await cli('finetune', '--resume', out);
    expect(resumed.stderr).toMatch(/resumed from .*checkpoint-000002 at step 2/);
    expect(resumed.code).toBe(0);
    expect(metricsOf(out).map((line) => line.loss)).toEqual(complete.map((line) => line.loss));
    expect(JSON.parse(readFileSync(join(out, 'model', 'labels.json'), 'utf8')).maxLength).toBe(16);
    // The full-context run differs: the length mattered.
    const longer = join(dir, 'longer');
    expect((await cli(...args, ...training, '--out', longer)).code).toBe(0);
    expect(metricsOf(longer)[0]!.loss).not.toBe(complete[0]!.loss);
    // A resume that asks for another length is refused, naming the field.
    expect((await cli('finetune', '--resume', out, '--max-length', '32')).stderr).toMatch(
      /finetune\.maxLength was 16, now 32/,
    );
  });

  it('an LM fine-tune with its own field names resumes without repeating them', async () => {
    const base = await byteBase();
    const dir = await temporaryDirectory();
    const data = join(dir, 'qa.jsonl');
    writeFileSync(
      data,
      Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({ q: `what is ${i} plus one?`, a: ` ${i + 1}` }),
      ).join('\n'),
    );
    const out = join(dir, 'run');
    const fields = ['--prompt-field', 'q', '--completion-field', 'a'];
    const training = ['--steps', '3', '--batch-size', '2', '--checkpoint-every', '1', '--keep-last', '5'];
    const run = await cli(
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--lm-data',
      data,
      ...fields,
      ...training,
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    const complete = metricsOf(out);
    rmSync(join(out, 'checkpoint-000003'), { recursive: true });
    writeFileSync(
      join(out, 'metrics.jsonl'),
      `${readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]}\n`,
    );
    rmSync(join(out, 'checkpoint-000002'), { recursive: true });
    const resumed = await cli('finetune', '--resume', out);
    expect(resumed.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(resumed.code).toBe(0);
    expect(metricsOf(out).map((line) => line.loss)).toEqual(complete.map((line) => line.loss));
  });
});

describe('mini-llama finetune --lora-rank', () => {
  it('LM: trains only the adapter, writes it in PEFT format, checkpoints hold only it, and resumes exactly', async () => {
    const base = await byteBase();
    const baseBytes = readFileSync(join(base, 'model.safetensors'));
    const dir = await temporaryDirectory();
    const data = await qaData(dir);
    const out = join(dir, 'run');
    const args = [
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--lm-data',
      data,
      '--steps',
      '4',
      '--batch-size',
      '4',
      '--lr',
      '1e-2',
      '--lora-rank',
      '4',
      '--lora-alpha',
      '8',
      '--lora-targets',
      'q_proj,v_proj',
      '--checkpoint-every',
      '2',
      '--keep-last',
      '5',
    ];
    const run = await cli(...args, '--out', out);
    expect(run.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(run.code).toBe(0);
    // 2 layers × (q: 16·4 + 4·16, v: 16·4 + 4·8)
    expect(run.stderr).toContain('LoRA r=4 alpha=8 on 4 modules: trainable params: 448 ||');
    expect(run.stdout).toContain(
      `adapter: ${out} (adapter_config.json, adapter_model.safetensors; base ${base})`,
    );
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0,
      target_modules: ['q_proj', 'v_proj'],
      base_model_name_or_path: base,
      modules_to_save: null,
    });
    const adapter = readFileSync(join(out, 'adapter_model.safetensors'));
    const keys = [...parseSafetensors(new Uint8Array(adapter), 'adapter').tensors.keys()];
    expect(keys).toHaveLength(8);
    expect(existsSync(join(out, 'model'))).toBe(false); // no copy of the base
    expect(readFileSync(join(base, 'model.safetensors')).equals(baseBytes)).toBe(true);
    const checkpoint = join(out, 'checkpoint-000002');
    const weights = parseSafetensors(
      new Uint8Array(readFileSync(join(checkpoint, 'model.safetensors'))),
      'x',
    );
    expect([...weights.tensors.keys()].sort()).toEqual([...keys].sort());
    const moments = parseSafetensors(
      new Uint8Array(readFileSync(join(checkpoint, 'optimizer.safetensors'))),
      'x',
    );
    expect([...moments.tensors.keys()].every((key) => key.includes('.lora_'))).toBe(true);
    const state = JSON.parse(readFileSync(join(checkpoint, 'trainer-state.json'), 'utf8')).state;
    expect(state.base).toBe(base);
    expect(state.runConfig.finetune.lora).toMatchObject({
      r: 4,
      alpha: 8,
      targetModules: ['q_proj', 'v_proj'],
    });

    // A crash after step 3 with the checkpoint of step 2 the newest: --resume redoes steps 3–4 exactly.
    const complete = metricsOf(out);
    rmSync(join(out, 'checkpoint-000004'), { recursive: true });
    rmSync(join(out, 'adapter_model.safetensors'));
    writeFileSync(
      join(out, 'metrics.jsonl'),
      `${readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n')}\n`,
    );
    const resumed = await cli('finetune', '--resume', out);
    expect(resumed.stderr).toMatch(/resumed from .*checkpoint-000002 at step 2/);
    expect(resumed.code).toBe(0);
    expect(metricsOf(out).map((line) => line.loss)).toEqual(complete.map((line) => line.loss));
    expect(readFileSync(join(out, 'adapter_model.safetensors')).equals(adapter)).toBe(true);
    expect(readdirSync(out).filter((name) => name.startsWith('checkpoint-'))).toEqual([
      'checkpoint-000002',
      'checkpoint-000004',
    ]);
  });

  it('classification: the adapter trains the backbone and a copy of the head, saved as PEFT SEQ_CLS', async () => {
    const base = await byteBase();
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
      '12',
      '--batch-size',
      '8',
      '--lr',
      '2e-2',
      '--eval-every',
      '6',
      '--lora-rank',
      '2',
      '--lora-targets',
      'all-linear',
      '--lora-dropout',
      '0.1',
      '--max-length',
      '32',
      '--out',
      out,
    );
    expect(run.stderr).not.toMatch(/^mini-llama finetune:/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/validation accuracy [\d.]+ \(8 examples\)/);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      task_type: 'SEQ_CLS',
      modules_to_save: ['classifier', 'score'],
      lora_dropout: 0.1,
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
    const tensors = parseSafetensors(
      new Uint8Array(readFileSync(join(out, 'adapter_model.safetensors'))),
      'x',
    ).tensors;
    expect(tensors.get('base_model.model.score.weight')!.shape).toEqual([2, 16]);
    expect(JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'))).toMatchObject({
      labelNames: ['negative', 'positive'],
      maxLength: 32, // eval classify, wise-ft and soup truncate there too
    });
    const losses = metricsOf(out).map((line) => line.loss);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)));
  });

  it('names bad LoRA flags', async () => {
    const out = await temporaryDirectory();
    const base = await byteBase();
    const data = await qaData(out);
    const common = [
      'finetune',
      '--init',
      base,
      '--tokenizer',
      'bytes',
      '--lm-data',
      data,
      '--steps',
      '1',
      '--batch-size',
      '1',
      '--out',
      out,
    ];
    expect((await cli(...common, '--lora-alpha', '16')).stderr).toBe(
      'mini-llama finetune: --lora-alpha needs --lora-rank R (without it the whole model is fine-tuned)\n',
    );
    expect((await cli(...common, '--lora-rank', '4', '--lora-targets', 'q_proj,qkv_proj')).stderr).toMatch(
      /^mini-llama finetune: --lora-targets: unknown module "qkv_proj" \(expected q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, a module path ending in one, or 'all-linear'\)\n$/,
    );
    expect((await cli(...common, '--lora-rank', '0')).stderr).toBe(
      "mini-llama finetune: --lora-rank must be a positive integer, got '0'\n",
    );
    expect((await cli(...common, '--lora-rank', '2', '--lora-dropout', '1')).stderr).toBe(
      "mini-llama finetune: --lora-dropout must be a number in [0, 1), got '1'\n",
    );
    expect((await cli(...common, '--lora-rank', '2')).code).toBe(0);
    // a resumed run keeps its LoRA settings: the same ones may be repeated, others are refused by name
    expect((await cli('finetune', '--resume', out, '--lora-rank', '3')).stderr).toMatch(
      /^mini-llama finetune: --resume .*: the resumed run would not continue the recorded one exactly: finetune\.lora\.r was 2, now 3\./,
    );
    expect((await cli('finetune', '--resume', out, '--lora-rank', '2')).code).toBe(0);
    expect((await cli('finetune', '--resume', join(out, 'nowhere'))).stderr).toMatch(
      /--resume: .*run-config\.json not found: is this a run directory\?/,
    );
  });
});
