import { resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { loadSet, parseTaskSpecAt } from '@mini-llama/data/node';
import { findTokenizerFor, tokenizerForModel } from '@mini-llama/tokenizer/node';
import { soupModels } from '@mini-llama/wise-ft/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import {
  backendOption,
  batchSizeOption,
  jsonOption,
  oneOf,
  positiveInteger,
  tokenizerOption,
} from '../options.js';
import { textTable } from './eval-shared.js';

const MODES = ['uniform', 'greedy'] as const;

interface SoupFlags {
  models: string[];
  mode: (typeof MODES)[number];
  heldOut?: string;
  out: string;
  tokenizer?: string;
  limit?: number;
  batchSize: number;
  backend: BackendRequest;
  json?: boolean;
}

export function addSoupCommand(program: Command, io: CliIo): void {
  const command = program
    .command('soup')
    .description(
      'Model soups (Wortsman et al. 2022): average the weights of several fine-tunes of one pretrained model, uniformly or greedily with a held-out guard.',
    )
    .requiredOption(
      '--models <paths...>',
      'fine-tuned models of one architecture (classifiers from finetune --task, or language models)',
    )
    .option('--mode <mode>', `${MODES.join(' or ')} (default uniform)`, oneOf('--mode', MODES), 'uniform')
    .option(
      '--held-out <taskspec>',
      'held-out set: greedy soups add a model only if accuracy here does not drop (required for greedy; reported for uniform). Not a test set.',
    )
    .requiredOption(
      '--out <path>',
      'where the soup goes (HF directory; a classifier gets its head and labels too)',
    )
    .option('--limit <n>', 'evaluate the first n held-out examples', positiveInteger('--limit'))
    .addHelpText(
      'after',
      `
Greedy (the paper's Recipe 1): the models are sorted by held-out accuracy, the soup starts from the best and
takes each next model only if the soup with it scores at least as well. OUT/soup.json records every step.
Classifiers must share their labels and their prompt (labels.json); language models are scored by zero-shot
label scoring with the held-out task's prompt.`,
    );
  tokenizerOption(command);
  batchSizeOption(command, 'texts', 16);
  backendOption(command);
  jsonOption(command, 'print the result as JSON on stdout');
  command.action((flags: SoupFlags) => runSoup(flags, io));
}

async function runSoup(flags: SoupFlags, io: CliIo): Promise<void> {
  if (flags.models.length < 2) throw new CliError('--models: a soup needs at least two models');
  if (flags.mode === 'greedy' && !flags.heldOut) {
    throw new CliError('--mode greedy needs --held-out TASKSPEC: the set that guards each addition');
  }
  const models: string[] = [];
  for (const path of flags.models) models.push(await modelArgument(path, io, '--models'));
  const heldOut = flags.heldOut
    ? await loadSet(parseTaskSpecAt(flags.heldOut, io.cwd, '--held-out'), flags.limit)
    : null;
  const tokenizer = heldOut
    ? await tokenizerForModel(models[0]!, {
        given: flags.tokenizer,
        cwd: io.cwd,
        required: 'the held-out texts must be tokenized',
      })
    : null;
  await startBackend(flags.backend, io);
  const out = resolve(io.cwd, flags.out);
  const summary = await soupModels({
    models,
    names: flags.models,
    mode: flags.mode,
    heldOut,
    tokenizer: tokenizer?.tokenizer ?? null,
    batchSize: flags.batchSize,
    out,
    tokenizerFile: flags.tokenizer ? null : await findTokenizerFor(models[0]!),
    onStep: (step) =>
      io.stderr.write(
        `${step.added ? 'added ' : 'skipped'} ${step.name}: alone ${step.individual.toFixed(4)}, soup with it ${step.withIt.toFixed(4)}\n`,
      ),
  });
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const rows = summary.models.map((name) => [
    name,
    summary.individualAccuracy?.[name] ?? null,
    summary.ingredients.includes(name) ? 'yes' : 'no',
  ]);
  rows.push([`${flags.mode} soup (${summary.ingredients.length} models)`, summary.heldOutAccuracy, '']);
  io.stdout.write(
    `${textTable(['model', heldOut ? `${heldOut.name} accuracy` : 'accuracy', 'in soup'], rows)}\n`,
  );
  io.stdout.write(`soup: ${out}\n`);
}
