import { join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { type EvalSet, loadOodSets, loadSet, parseTaskSpecAt } from '@mini-llama/data/node';
import { findTokenizerFor, tokenizerForModel } from '@mini-llama/tokenizer/node';
import { DEFAULT_ALPHAS, parseAlphas } from '@mini-llama/wise-ft';
import { type AlphaLine, saveInterpolated, wiseFtSweep } from '@mini-llama/wise-ft/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import {
  backendOption,
  batchSizeOption,
  collect,
  jsonOption,
  positiveInteger,
  tokenizerOption,
} from '../options.js';
import { textTable } from './eval-shared.js';

interface WiseFtFlags {
  pretrained: string;
  finetuned?: string;
  adapter?: string;
  alphas?: string;
  alpha?: string;
  save?: string;
  id?: string;
  ood: string[];
  out?: string;
  backboneOnly?: boolean;
  tokenizer?: string;
  limit?: number;
  batchSize: number;
  backend: BackendRequest;
  json?: boolean;
}

export function addWiseFtCommand(program: Command, io: CliIo): void {
  const command = program
    .command('wise-ft')
    .description(
      'WiSE-FT (Wortsman et al. 2022): θ(α) = (1−α)·θ_pretrained + α·θ_fine-tuned, swept over α with in-domain and out-of-domain accuracy, or saved at one α.',
    )
    .requiredOption(
      '--pretrained <path>',
      'the language model that was fine-tuned, or a classifier the fine-tune started from (a linear probe: WiSE-FT of LP-FT, α = 0 the probe)',
    )
    .option(
      '--finetuned <path>',
      'the fine-tuned model: a classifier from finetune --task (weights + classifier.safetensors) or a language model',
    )
    .option(
      '--adapter <dir>',
      'or a LoRA adapter of --pretrained: θ(α) = W₀ + α·scale·B·A (never merged in full)',
    )
    .option('--alphas <list>', `α values to sweep (default ${DEFAULT_ALPHAS.join(',')})`)
    .option('--alpha <a>', 'one α: with --save, write θ(α); with --id, evaluate it alone')
    .option(
      '--save <path>',
      'write θ(--alpha) here (HF directory; a classifier gets its head and labels too)',
    )
    .option('--id <taskspec>', 'in-domain validation set (chooses α), e.g. sst2:../shared/data/sst2/dev.tsv')
    .option('--ood <taskspec>', 'out-of-domain set (same labels); repeat for several', collect, [])
    .option('--out <dir>', 'sweep output: results.jsonl, report.json, report.html')
    .option(
      '--backbone-only',
      'interpolate the backbone only and keep the fine-tuned head at every α (for a classifier trained without --head zero-shot)',
    )
    .option('--limit <n>', 'evaluate the first n examples of each set', positiveInteger('--limit'))
    .addHelpText(
      'after',
      `
A fine-tuned classifier is interpolated with the pretrained model's zero-shot head: the LM-head rows of the
label words of the prompt it was fine-tuned in (finetune --head zero-shot records it in labels.json), so
α = 0 is zero-shot classification and α = 1 the fine-tuned classifier, exactly. A fine-tuned language model
is evaluated by zero-shot label scoring at every α (the --id task's prompt). --pretrained may also be a
classifier with the same labels and prompt: a \`mini-llama zero-shot\` classifier (label words, centred) that
the fine-tune started from with --head init, or a linear probe (LP-FT); α = 0 is then that classifier.
Results: OUT/results.jsonl has one line per α: {"alpha", "accuracy": {set: value}, "macroF1": {...},
"n": {...}, "oodMean"}; OUT/report.json the sweep and the α chosen on --id; OUT/report.html the α curve.`,
    );
  tokenizerOption(command);
  batchSizeOption(command, 'texts', 16);
  backendOption(command);
  jsonOption(command, 'print the sweep (or the one evaluation) as JSON on stdout');
  command.action((flags: WiseFtFlags) => runWiseFt(flags, io));
}

async function runWiseFt(flags: WiseFtFlags, io: CliIo): Promise<void> {
  if (Boolean(flags.finetuned) === Boolean(flags.adapter)) {
    throw new CliError('give exactly one of --finetuned PATH or --adapter DIR');
  }
  const single = flags.alpha === undefined ? null : parseAlpha(flags.alpha);
  if (flags.save && single === null)
    throw new CliError('--save needs --alpha A: the α whose weights to write');
  if (single !== null && flags.alphas)
    throw new CliError('give --alpha (one α) or --alphas (a sweep), not both');
  if (single === null && (!flags.id || !flags.out)) {
    throw new CliError(
      'a sweep needs --id TASKSPEC and --out DIR (or give --alpha A with --save PATH or --id)',
    );
  }
  if (single !== null && !flags.save && !flags.id) {
    throw new CliError('--alpha A needs --save PATH (write θ(A)) or --id TASKSPEC (evaluate it)');
  }
  if (flags.ood.length > 0 && !flags.id) throw new CliError('--ood needs --id TASKSPEC');
  const alphas = single !== null ? [single] : flags.alphas ? parseAlphasOrFail(flags.alphas) : DEFAULT_ALPHAS;

  const pretrained = await modelArgument(flags.pretrained, io, '--pretrained');
  const id = flags.id ? await loadSet(parseTaskSpecAt(flags.id, io.cwd, '--id'), flags.limit) : null;
  const ood = id ? await loadOodSets(flags.ood, id, flags.limit, io.cwd) : [];
  const tokenizer = (await tokenizerForModel(pretrained, {
    given: flags.tokenizer,
    cwd: io.cwd,
    required: 'the texts must be tokenized',
  }))!;
  await startBackend(flags.backend, io);
  const sources = {
    pretrained,
    finetuned: flags.finetuned ? await modelArgument(flags.finetuned, io, '--finetuned') : undefined,
    adapter: flags.adapter ? resolve(io.cwd, flags.adapter) : undefined,
    backboneOnly: flags.backboneOnly ?? false,
  };
  if (flags.save) {
    const path = resolve(io.cwd, flags.save);
    const description = await saveInterpolated({
      ...sources,
      tokenizer: tokenizer.tokenizer,
      tokenizerFile: flags.tokenizer ? null : await findTokenizerFor(pretrained),
      alpha: single!,
      path,
    });
    io.stderr.write(`wise-ft: ${description}\nsaved θ(${flags.alpha}) to ${path}\n`);
  }
  if (!id) return;
  const out = flags.out ? resolve(io.cwd, flags.out) : undefined;
  const { summary, description } = await wiseFtSweep({
    ...sources,
    tokenizer: tokenizer.tokenizer,
    alphas,
    id,
    ood,
    batchSize: flags.batchSize,
    out,
    onAlpha: (line, report, index, total) => {
      const oodMean = report.oodMean ? `  OOD mean ${report.oodMean.accuracy.toFixed(4)}` : '';
      io.stderr.write(
        `α=${line.alpha} (${index + 1}/${total})  ${report.id.name} ${report.id.accuracy.toFixed(4)}${report.ood.map((entry) => `  ${entry.name} ${entry.accuracy.toFixed(4)}`).join('')}${oodMean}\n`,
      );
    },
  });
  io.stderr.write(`wise-ft: ${description}\n`);
  if (out) io.stderr.write(`wrote ${join(out, 'results.jsonl')}, report.json, report.html\n`);
  if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else io.stdout.write(sweepTable(summary.results, id, ood, summary.chosenAlpha));
}

function sweepTable(lines: AlphaLine[], id: EvalSet, ood: EvalSet[], chosenAlpha: number): string {
  const sets = [id.name, ...ood.map((set) => set.name)];
  const header = [
    'alpha',
    ...sets.map((name, i) => (i === 0 ? `${name} (ID)` : name)),
    ...(ood.length ? ['OOD mean'] : []),
  ];
  const rows = lines.map((line) => [
    `${line.alpha}${line.alpha === chosenAlpha ? ' *' : ''}`,
    ...sets.map((name) => line.accuracy[name]!),
    ...(ood.length ? [line.oodMean] : []),
  ]);
  return `${textTable(header, rows)}\n* chosen on ${id.name} (in-domain accuracy; ties go to the smaller α)\n`;
}

function parseAlpha(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new CliError(`--alpha: '${text}' is not a number`);
  return value;
}

function parseAlphasOrFail(text: string): number[] {
  try {
    return parseAlphas(text);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
