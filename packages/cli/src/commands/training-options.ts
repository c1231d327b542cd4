import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LLAMA_PRESETS } from '@mini-llama/formats';
import { describeFileError } from '@mini-llama/formats/node';
import { mergeRunConfig, type RunConfigInput, type RunConfigOverrides } from '@mini-llama/trainer';
import { type Command, Option } from 'commander';
import { CliError } from '../errors.js';
import {
  BACKEND_HELP,
  backendRequest,
  nonNegativeInteger,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
} from '../options.js';

/** Flags shared by pretrain and finetune; each overrides the same field of --config-file. */
export interface TrainingFlags {
  config?: string;
  configFile?: string;
  dim?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  vocabSize?: number;
  seqLen?: number;
  data?: string[];
  tokenizer?: string;
  init?: string;
  out?: string;
  steps?: number;
  batchSize?: number;
  gradAccum?: number;
  lr?: number;
  minLr?: number;
  warmup?: number;
  schedule?: 'cosine' | 'constant' | 'linear';
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  clip?: number;
  evalEvery?: number;
  evalBatches?: number;
  logEvery?: number;
  checkpointEvery?: number;
  keepLast?: number;
  seed?: number;
  order?: 'sequential' | 'shuffled';
  valFraction?: number;
  onNan?: 'stop' | 'skip';
  checkpointDtype?: 'f32' | 'f16' | 'bf16';
  resume?: string;
  backend?: string;
}

export function addTrainingOptions(command: Command): Command {
  return command
    .option('--config <preset>', `model preset: ${Object.keys(LLAMA_PRESETS).join(', ')}`)
    .option(
      '--config-file <file>',
      'JSON run configuration {model, data, training, backend}; flags override it',
    )
    .option('--dim <n>', 'model width', positiveInteger('--dim'))
    .option('--layers <n>', 'decoder layers', positiveInteger('--layers'))
    .option('--heads <n>', 'attention heads', positiveInteger('--heads'))
    .option('--kv-heads <n>', 'key/value heads (grouped-query attention)', positiveInteger('--kv-heads'))
    .option('--vocab-size <n>', "vocabulary size (default: the tokenizer's)", positiveInteger('--vocab-size'))
    .option(
      '--seq-len <n>',
      "training sequence length (default and maximum: the model's context)",
      positiveInteger('--seq-len'),
    )
    .option(
      '--data <paths...>',
      'text / JSONL / TinyStories files, or one directory prepared by `mini-llama data prepare`',
    )
    .option('--tokenizer <path>', 'tokenizer file (tokenizer.model / .json / .bin), llama2, or bytes')
    .option(
      '--init <weights>',
      'start from these weights (HF directory, .safetensors, llama2.c .bin, or hf:ORG/NAME[@REVISION] from the Hub)',
    )
    .option('--out <dir>', 'run directory: metrics.jsonl, checkpoints, run-config.json, model/')
    .option('--steps <n>', 'optimizer updates', positiveInteger('--steps'))
    .option('--batch-size <n>', 'sequences per micro-batch', positiveInteger('--batch-size'))
    .option('--grad-accum <n>', 'micro-batches per update', positiveInteger('--grad-accum'))
    .option('--lr <x>', 'peak learning rate (default 5e-4)', positiveNumber('--lr'))
    .option(
      '--min-lr <x>',
      'learning rate at the end of the decay (default 0)',
      nonNegativeNumber('--min-lr'),
    )
    .option('--warmup <n>', 'linear warm-up steps (default 0)', nonNegativeInteger('--warmup'))
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule (default cosine)').choices([
        'cosine',
        'constant',
        'linear',
      ]),
    )
    .option(
      '--weight-decay <x>',
      'AdamW decoupled weight decay on matrices (default 0.1)',
      nonNegativeNumber('--weight-decay'),
    )
    .option('--beta1 <x>', 'AdamW β1 (default 0.9)', nonNegativeNumber('--beta1'))
    .option('--beta2 <x>', 'AdamW β2 (default 0.95)', nonNegativeNumber('--beta2'))
    .option('--clip <x>', 'max global gradient norm, 0 = off (default 1)', nonNegativeNumber('--clip'))
    .option(
      '--eval-every <n>',
      'validation every N steps, 0 = never (default 0)',
      nonNegativeInteger('--eval-every'),
    )
    .option(
      '--eval-batches <n>',
      'validation batches per evaluation (default 8)',
      positiveInteger('--eval-batches'),
    )
    .option('--log-every <n>', 'metrics.jsonl line every N steps (default 1)', positiveInteger('--log-every'))
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps, 0 = only at the end and at the best',
      nonNegativeInteger('--checkpoint-every'),
    )
    .option(
      '--keep-last <n>',
      'checkpoints kept besides the best (default 2)',
      positiveInteger('--keep-last'),
    )
    .option(
      '--seed <s>',
      'seed of the initialisation, shuffling and split (default 0)',
      nonNegativeInteger('--seed'),
    )
    .addOption(
      new Option('--order <order>', 'window order (default shuffled)').choices(['sequential', 'shuffled']),
    )
    .option(
      '--val-fraction <f>',
      'share of documents held out for validation from text files (default 0.05)',
      nonNegativeNumber('--val-fraction'),
    )
    .addOption(
      new Option(
        '--on-nan <policy>',
        'a NaN/Inf loss: stop with an error (default) or skip the step',
      ).choices(['stop', 'skip']),
    )
    .addOption(
      new Option(
        '--checkpoint-dtype <dtype>',
        'storage dtype of checkpoint tensors (default f32). Training always computes in float32 (tfjs has no half-precision math): f16/bf16 only shrink the files',
      ).choices(['f32', 'f16', 'bf16']),
    )
    .option('--resume <dir>', 'continue the run in DIR from its latest checkpoint, exactly where it stopped')
    .option('--backend <name>', BACKEND_HELP, backendRequest);
}

/** The fields of a run configuration the flags set (each flag given overrides the same field of a base). */
export function overridesFromFlags(flags: TrainingFlags): RunConfigOverrides {
  return {
    model: {
      preset: flags.config,
      dim: flags.dim,
      nLayers: flags.layers,
      nHeads: flags.heads,
      nKvHeads: flags.kvHeads,
      vocabSize: flags.vocabSize,
      init: flags.init,
    },
    data: {
      train: flags.data,
      tokenizer: flags.tokenizer,
      order: flags.order,
      valFraction: flags.valFraction,
    },
    training: {
      steps: flags.steps,
      batchSize: flags.batchSize,
      gradAccum: flags.gradAccum,
      seqLen: flags.seqLen,
      lr: flags.lr,
      minLr: flags.minLr,
      warmup: flags.warmup,
      schedule: flags.schedule,
      weightDecay: flags.weightDecay,
      beta1: flags.beta1,
      beta2: flags.beta2,
      clip: flags.clip,
      evalEvery: flags.evalEvery,
      evalBatches: flags.evalBatches,
      logEvery: flags.logEvery,
      checkpointEvery: flags.checkpointEvery,
      keepLast: flags.keepLast,
      seed: flags.seed,
      onNan: flags.onNan,
      checkpointDtype: flags.checkpointDtype,
    },
    backend: flags.backend,
  };
}

/** A fresh run's configuration: --config-file (when given) with the flags on top. */
export async function freshRunConfig(flags: TrainingFlags, cwd: string): Promise<RunConfigInput> {
  const base = flags.configFile ? await readConfigFile(resolve(cwd, flags.configFile)) : {};
  return mergeRunConfig(
    { data: { train: [] }, training: {} as RunConfigInput['training'], ...base },
    overridesFromFlags(flags),
  );
}

async function readConfigFile(path: string): Promise<Partial<RunConfigInput>> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new CliError(`--config-file ${path}: cannot read it: ${describeFileError(error)}`);
  });
  try {
    return JSON.parse(text) as Partial<RunConfigInput>;
  } catch (error) {
    throw new CliError(`--config-file ${path}: invalid JSON (${(error as Error).message})`);
  }
}
