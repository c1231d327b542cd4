import { finetune } from '@mini-llama/trainer/node';
import type { Command } from 'commander';
import { type LoraFlags, loraSettingsFromFlags } from '../adapters.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { dropoutProbability, nameList, oneOf, positiveInteger, positiveNumber } from '../options.js';
import { runTrainingCommand } from '../training-run.js';
import {
  addTrainingOptions,
  freshRunConfig,
  overridesFromFlags,
  type TrainingFlags,
} from './training-options.js';

interface FinetuneFlags extends TrainingFlags, LoraFlags {
  task?: string;
  head?: 'random' | 'zero-shot' | 'init';
  train?: 'all' | 'head';
  evalAccuracy?: boolean;
  evalTask?: string;
  lmData?: string;
  promptField?: string;
  completionField?: string;
  maxLength?: number;
}

export function addFinetuneCommand(program: Command, io: CliIo): void {
  const command = program
    .command('finetune')
    .description(
      'Fine-tune a pretrained model (--init): classification (--task TASKSPEC) with a head on the last real token, or LM fine-tuning (--lm-data FILE.jsonl) with the prompt tokens left out of the loss.',
    )
    .option(
      '--task <taskspec>',
      'classification training set, e.g. sst2:../shared/data/sst2/train.tsv or tsv:FILE',
    )
    .option(
      '--eval-task <taskspec>',
      'classification validation set: loss every --eval-every steps, accuracy at the end',
    )
    .option(
      '--head <init>',
      "classification head: random (N(0, 0.02), raw texts), zero-shot (texts in the task's prompt, the head made of the LM head's rows for the label words, so step 0 is the zero-shot classifier; what WiSE-FT needs) or init (the head of the classifier --init names, e.g. a linear probe's RUN/model: LP-FT)",
      oneOf('--head', ['random', 'zero-shot', 'init']),
    )
    .option(
      '--eval-accuracy',
      "classification: the validation set's accuracy at every evaluation too (metrics.jsonl's valAccuracy), not only at the end",
    )
    .option(
      '--train <weights>',
      'which weights learn: all, or head (a linear probe on frozen features; the LP of LP-FT) (default all)',
      oneOf('--train', ['all', 'head']),
    )
    .option('--lm-data <file>', 'JSONL of {"prompt": ..., "completion": ...} for LM fine-tuning')
    .option('--prompt-field <name>', 'JSONL field of the prompt (default prompt)')
    .option('--completion-field <name>', 'JSONL field of the completion (default completion)')
    .option(
      '--max-length <n>',
      "longest sequence in tokens (default: the model's context)",
      positiveInteger('--max-length'),
    )
    .option(
      '--lora-rank <r>',
      'train a LoRA adapter of this rank instead of the whole model; --out gets it in PEFT format',
      positiveInteger('--lora-rank'),
    )
    .option(
      '--lora-alpha <a>',
      'LoRA alpha: the update is scaled by alpha / rank (default 8)',
      positiveNumber('--lora-alpha'),
    )
    .option(
      '--lora-dropout <p>',
      'dropout on the adapter inputs while training (default 0)',
      dropoutProbability('--lora-dropout'),
    )
    .option(
      '--lora-targets <modules>',
      'projections to adapt: comma-separated q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj, or all-linear (default q_proj,k_proj,v_proj,o_proj)',
      nameList('--lora-targets'),
    );
  addTrainingOptions(command);
  command.action((flags: FinetuneFlags) => runFinetune(flags, io));
}

async function runFinetune(flags: FinetuneFlags, io: CliIo): Promise<void> {
  if (!flags.init && !flags.resume) throw new CliError('--init WEIGHTS is required: the model to fine-tune');
  // hf:ORG/NAME[@REV] → its snapshot in the Hub cache: the run records the local path, commit included.
  if (flags.init) flags.init = await modelArgument(flags.init, io, '--init');
  const given =
    flags.loraRank !== undefined ||
    flags.loraAlpha !== undefined ||
    flags.loraTargets ||
    flags.loraDropout !== undefined;
  const finetuneFlags = {
    task: flags.task,
    evalTask: flags.evalTask,
    lmData: flags.lmData,
    promptField: flags.promptField,
    completionField: flags.completionField,
    maxLength: flags.maxLength,
    head: flags.head,
    train: flags.train,
    trackAccuracy: flags.evalAccuracy,
    ...(given || !flags.resume ? { lora: loraSettingsFromFlags(flags, flags.seed ?? 0) } : {}),
  };
  const fresh = flags.resume ? null : await freshRunConfig(flags, io.cwd);
  const result = await runTrainingCommand(io, 'finetune', ({ events, signal, startBackend }) =>
    finetune(
      {
        ...(fresh
          ? {
              config: { ...fresh, finetune: { ...fresh.finetune, ...definedOnly(finetuneFlags) } },
              out: flags.out,
            }
          : {
              resume: flags.resume,
              overrides: { ...overridesFromFlags(flags), finetune: definedOnly(finetuneFlags) },
            }),
        cwd: io.cwd,
        configName: flags.configFile ?? 'run configuration',
        startBackend,
        signal,
      },
      events,
    ),
  );
  const accuracy =
    result.accuracy === null
      ? ''
      : `, validation accuracy ${result.accuracy.toFixed(4)} (${result.evalExamples} examples)`;
  const saved =
    result.saved === result.directory
      ? `adapter: ${result.saved} (adapter_config.json, adapter_model.safetensors; base ${result.base})`
      : `model: ${result.saved}`;
  io.stdout.write(`finished at step ${result.step}${accuracy}\nmetrics: ${result.metrics}\n${saved}\n`);
}

function definedOnly<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
