import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { loadTask, parseTaskSpecAt } from '@mini-llama/data/node';
import { promptForTaskSpec, TEXT_SLOT } from '@mini-llama/eval';
import { saveZeroShotClassifier } from '@mini-llama/wise-ft/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { backendOption, positiveInteger, tokenizerOption } from '../options.js';
import { MODEL_HELP } from './eval-shared.js';

interface ZeroShotFlags {
  model: string;
  task: string;
  out: string;
  template?: string;
  labelWords?: string;
  centreOn?: string;
  centre: boolean;
  maxLength?: number;
  tokenizer?: string;
  backend: BackendRequest;
}

export function addZeroShotCommand(program: Command, io: CliIo): void {
  const command = program
    .command('zero-shot')
    .description(
      'Make a pretrained language model a classifier without training: a head from the LM-head rows of label words, centred on unlabelled in-domain texts, saved as `finetune --task` saves a classifier.',
    )
    .requiredOption('--model <path>', MODEL_HELP)
    .requiredOption('--task <taskspec>', 'the labelled task (its labels, in order), e.g. sst2:train.tsv')
    .requiredOption(
      '--out <dir>',
      'the classifier directory to write (weights, tokenizer, head, labels.json)',
    )
    .option('--template <text>', `the prompt, with ${TEXT_SLOT} where the text goes (default: the task's)`)
    .option(
      '--label-words <file.json>',
      'per label, the words whose mean row makes its head row: {"label": ["word", …]} (a space is put before each; default: the label word of the task’s prompt)',
    )
    .option(
      '--centre-on <taskspec>',
      "unlabelled in-domain texts to centre the head on (their labels are not read; default: the --task file's texts)",
    )
    .option('--no-centre', 'keep the head as the label words make it (no centring)')
    .option(
      '--max-length <n>',
      'longest input in tokens (default: the model’s context)',
      positiveInteger('--max-length'),
    )
    .addHelpText(
      'after',
      `
Centring is domain-conditional calibration (Holtzman et al. 2021) without a bias: the direction of the mean
hidden state of in-domain texts is taken out of every head row. Use the result as any classifier:
  mini-llama eval classify --model OUT --task …      its zero-shot accuracy
  mini-llama finetune --init OUT --head init --task …   fine-tune from it
  mini-llama wise-ft --pretrained OUT --finetuned …   WiSE-FT with it as α = 0`,
    );
  tokenizerOption(command);
  backendOption(command);
  command.action((flags: ZeroShotFlags) => runZeroShot(flags, io));
}

async function runZeroShot(flags: ZeroShotFlags, io: CliIo): Promise<void> {
  if (flags.template !== undefined && !flags.template.includes(TEXT_SLOT)) {
    throw new CliError(`--template must contain ${TEXT_SLOT} where the text goes, got '${flags.template}'`);
  }
  if (flags.centreOn !== undefined && !flags.centre) {
    throw new CliError('--centre-on and --no-centre contradict each other: give one');
  }
  const task = await loadTask(parseTaskSpecAt(flags.task, io.cwd, '--task'));
  const labelNames = task.labelNames;
  const prompt = promptForTaskSpec(flags.task, labelNames);
  const centreOn = !flags.centre
    ? []
    : flags.centreOn === undefined
      ? task.examples.map((example) => example.text)
      : (await loadTask(parseTaskSpecAt(flags.centreOn, io.cwd, '--centre-on'))).examples.map((e) => e.text);
  const labelWords = flags.labelWords ? await readLabelWords(resolve(io.cwd, flags.labelWords)) : undefined;
  await startBackend(flags.backend, io);
  const { path, record } = await saveZeroShotClassifier({
    model: await modelArgument(flags.model, io),
    tokenizer: flags.tokenizer,
    labelNames,
    prompt: { template: flags.template ?? prompt.template, verbalizers: prompt.verbalizers },
    labelWords,
    centreOn,
    maxLength: flags.maxLength,
    out: resolve(io.cwd, flags.out),
  });
  io.stdout.write(
    `zero-shot classifier → ${path}: ${labelNames.map((name, i) => `${name} (${record.labelWords[i]!.length} word${record.labelWords[i]!.length === 1 ? '' : 's'})`).join(', ')}; ${record.centredOn > 0 ? `centred on ${record.centredOn.toLocaleString('en-US')} texts` : 'not centred'}\n`,
  );
}

/** {"label": ["word", …]} → the words with a space before each, as they follow a prompt. */
async function readLabelWords(file: string): Promise<Record<string, string[]>> {
  const fail = (why: string) => new CliError(`--label-words ${file}: ${why}`);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw fail(error.code === 'ENOENT' ? 'no such file' : error.message);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail(`not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw fail('expected an object {"label": ["word", …]}');
  }
  return Object.fromEntries(
    Object.entries(parsed).map(([label, words]) => {
      if (!Array.isArray(words) || words.some((word) => typeof word !== 'string' || word.trim() === '')) {
        throw fail(`"${label}" must be a list of non-empty words`);
      }
      return [label, words.map((word: string) => ` ${word.trim()}`)];
    }),
  );
}
