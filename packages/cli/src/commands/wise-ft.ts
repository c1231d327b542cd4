import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { checkTokenizerMatchesModel } from '@mini-llama/data';
import {
  classifierPredictor,
  evaluateIdOod,
  type IdOodReport,
  type Predictor,
  promptForTask,
  zeroShotPredictor,
} from '@mini-llama/eval';
import { type ClassifierLabels, saveClassifierHead } from '@mini-llama/eval/node';
import { alphaSweepPoints, idOodTable, type ReportSection, renderReport } from '@mini-llama/eval/report';
import { LlamaModel, SequenceClassifier, type StateDict } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { DEFAULT_ALPHAS, parseAlphas, sweepAlphas } from '@mini-llama/wise-ft';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { type EvalSet, loadOodSets, loadSet, parseSpecFlag } from '../eval-sets.js';
import type { CliIo } from '../io.js';
import { BACKEND_HELP, backendRequest, collect, positiveInteger } from '../options.js';
import { findTokenizerFor } from '../tokenizer-files.js';
import { wiseFtEnds } from '../weight-space.js';
import { evalTokenizer, TOKENIZER_HELP, textTable } from './eval-shared.js';

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
  program
    .command('wise-ft')
    .description(
      'WiSE-FT (Wortsman et al. 2022): θ(α) = (1−α)·θ_pretrained + α·θ_fine-tuned, swept over α with in-domain and out-of-domain accuracy, or saved at one α.',
    )
    .requiredOption('--pretrained <path>', 'the language model that was fine-tuned')
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
    .option('--tokenizer <path>', TOKENIZER_HELP)
    .option('--limit <n>', 'evaluate the first n examples of each set', positiveInteger('--limit'))
    .option('--batch-size <n>', 'texts per forward pass', positiveInteger('--batch-size'), 16)
    .option('--backend <name>', BACKEND_HELP, backendRequest, 'auto')
    .option('--json', 'print the sweep (or the one evaluation) as JSON on stdout')
    .addHelpText(
      'after',
      `
A fine-tuned classifier is interpolated with the pretrained model's zero-shot head: the LM-head rows of the
label words of the prompt it was fine-tuned in (finetune --head zero-shot records it in labels.json), so
α = 0 is zero-shot classification and α = 1 the fine-tuned classifier, exactly. A fine-tuned language model
is evaluated by zero-shot label scoring at every α (the --id task's prompt).
Results: OUT/results.jsonl has one line per α: {"alpha", "accuracy": {set: value}, "macroF1": {...},
"n": {...}, "oodMean"}; OUT/report.json the sweep and the α chosen on --id; OUT/report.html the α curve.`,
    )
    .action((flags: WiseFtFlags) => runWiseFt(flags, io));
}

interface AlphaLine {
  alpha: number;
  accuracy: Record<string, number>;
  macroF1: Record<string, number>;
  n: Record<string, number>;
  oodMean: number | null;
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

  const pretrainedPath = resolve(io.cwd, flags.pretrained);
  const id = flags.id ? await loadSet(parseSpecFlag(flags.id, '--id', io.cwd), flags.limit) : null;
  const ood = id ? await loadOodSets(flags.ood, id, flags.limit, io.cwd) : [];
  const { tokenizer, name: tokenizerName } = (await evalTokenizer(flags.tokenizer, pretrainedPath, io, {
    required: 'the texts must be tokenized',
  }))!;
  await startBackend(flags.backend, io);
  const ends = await wiseFtEnds(
    {
      pretrained: flags.pretrained,
      finetuned: flags.finetuned,
      adapter: flags.adapter,
      backboneOnly: flags.backboneOnly ?? false,
    },
    tokenizer,
    io,
  );
  checkTokenizerMatchesModel(tokenizer, ends.config.vocabSize, tokenizerName);
  if (id && ends.classifier && ends.classifier.labelNames.length !== id.dataset.labelNames.length) {
    throw new CliError(
      `the classifier has ${ends.classifier.labelNames.length} labels (${ends.classifier.labelNames.join(', ')}), ${id.name} has ${id.dataset.labelNames.length}`,
    );
  }
  const description = ends.classifier
    ? `classifier (pretrained head: ${ends.pretrainedHead}${ends.classifier.prompt ? `; texts in ${JSON.stringify(ends.classifier.prompt.template)}` : ''})`
    : 'language model (zero-shot label scoring)';
  io.stderr.write(`wise-ft: ${description}\n`);

  const model = new LlamaModel(ends.config, { init: 'none' });
  const classifier = ends.classifier
    ? new SequenceClassifier(model, ends.classifier.labelNames.length)
    : null;
  try {
    const load = (state: StateDict) => (classifier ?? model).loadStateDict(state, `θ(α)`);
    if (flags.save) {
      load(ends.at(single!));
      await saveInterpolated(resolve(io.cwd, flags.save), model, classifier, ends.classifier, flags, io);
    }
    if (!id) return;
    const predict = predictor(model, classifier, ends.classifier, tokenizer, id, flags);
    const labelNames = id.dataset.labelNames;
    const reports: { alpha: number; report: IdOodReport }[] = [];
    const { results, chosen } = await sweepAlphas(
      alphas,
      async (alpha) => {
        load(ends.at(alpha));
        const report = await evaluateIdOod(predict, { id: asNamed(id), ood: ood.map(asNamed), labelNames });
        reports.push({ alpha, report });
        return {
          selection: report.id.accuracy,
          scores: Object.fromEntries([report.id, ...report.ood].map((entry) => [entry.name, entry.accuracy])),
        };
      },
      {
        onAlpha: (result, index, total) => {
          const { report } = reports[index]!;
          const ood = report.oodMean ? `  OOD mean ${report.oodMean.accuracy.toFixed(4)}` : '';
          io.stderr.write(
            `α=${result.alpha} (${index + 1}/${total})  ${report.id.name} ${report.id.accuracy.toFixed(4)}${report.ood.map((entry) => `  ${entry.name} ${entry.accuracy.toFixed(4)}`).join('')}${ood}\n`,
          );
        },
      },
    );
    const lines = reports.map(({ alpha, report }) => alphaLine(alpha, report));
    const summary = {
      pretrained: pretrainedPath,
      finetuned: flags.finetuned ? resolve(io.cwd, flags.finetuned) : null,
      adapter: flags.adapter ? resolve(io.cwd, flags.adapter) : null,
      mode: ends.classifier ? 'classifier' : 'language-model',
      pretrainedHead: ends.pretrainedHead,
      backboneOnly: flags.backboneOnly ?? false,
      id: id.name,
      ood: ood.map((set) => set.name),
      chosenAlpha: chosen.alpha,
      chosen: lines[results.indexOf(chosen)],
      results: lines,
    };
    if (flags.out) {
      const out = resolve(io.cwd, flags.out);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'results.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      await writeFile(join(out, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
      await writeFile(
        join(out, 'report.html'),
        await renderReport(wiseFtReport(summary, reports, description)),
      );
      io.stderr.write(`wrote ${join(out, 'results.jsonl')}, report.json, report.html\n`);
    }
    if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else io.stdout.write(sweepTable(lines, id, ood, chosen.alpha));
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}

function predictor(
  model: LlamaModel,
  classifier: SequenceClassifier | null,
  labels: ClassifierLabels | null,
  tokenizer: Tokenizer,
  id: EvalSet,
  flags: WiseFtFlags,
): Predictor {
  if (classifier) {
    // texts as the classifier was fine-tuned on them: in its prompt, truncated to its length
    return classifierPredictor(classifier, tokenizer, {
      batchSize: flags.batchSize,
      template: labels?.prompt?.template,
      maxLength: labels?.maxLength ?? undefined,
    });
  }
  const taskPrompt = promptForTask(id.task, id.dataset.labelNames);
  return zeroShotPredictor(model, tokenizer, taskPrompt, { batchSize: flags.batchSize });
}

const asNamed = (set: EvalSet) => ({ name: set.name, examples: set.dataset.examples });

function alphaLine(alpha: number, report: IdOodReport): AlphaLine {
  const entries = [report.id, ...report.ood];
  return {
    alpha,
    accuracy: Object.fromEntries(entries.map((entry) => [entry.name, entry.accuracy])),
    macroF1: Object.fromEntries(entries.map((entry) => [entry.name, entry.macroF1])),
    n: Object.fromEntries(entries.map((entry) => [entry.name, entry.n])),
    oodMean: report.oodMean?.accuracy ?? null,
  };
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

function wiseFtReport(
  summary: {
    id: string;
    chosenAlpha: number;
    pretrained: string;
    finetuned: string | null;
    adapter: string | null;
  },
  reports: { alpha: number; report: IdOodReport }[],
  description: string,
) {
  const chosen = reports.find((entry) => entry.alpha === summary.chosenAlpha)!;
  const sections: ReportSection[] = [
    {
      type: 'markdown',
      markdown: `θ(α) = (1 − α)·θ_pretrained + α·θ_fine-tuned, a ${description}. Pretrained: \`${summary.pretrained}\`; fine-tuned: \`${summary.finetuned ?? summary.adapter}\`. α = ${summary.chosenAlpha} is chosen on ${summary.id} (in-domain accuracy).`,
    },
    { type: 'alphaSweep', title: 'Accuracy over α', points: alphaSweepPoints(reports), metric: 'accuracy' },
    idOodTable(chosen.report, `At the chosen α = ${summary.chosenAlpha}`),
    {
      type: 'table',
      title: 'Every α',
      columns: ['α', chosen.report.id.name, ...chosen.report.ood.map((entry) => entry.name), 'OOD mean'],
      rows: reports.map(({ alpha, report }) => [
        alpha,
        report.id.accuracy,
        ...report.ood.map((entry) => entry.accuracy),
        report.oodMean?.accuracy ?? null,
      ]),
    },
  ];
  return { title: 'WiSE-FT α sweep', subtitle: `in-domain ${summary.id}`, sections };
}

async function saveInterpolated(
  path: string,
  model: LlamaModel,
  classifier: SequenceClassifier | null,
  labels: ClassifierLabels | null,
  flags: WiseFtFlags,
  io: CliIo,
): Promise<void> {
  await saveModel(model, path, { format: 'hf' });
  if (classifier && labels) {
    const head = (await classifier.stateDict()).get('score.weight')!;
    await saveClassifierHead(path, head, labels);
  }
  const tokenizerFile = flags.tokenizer ? null : await findTokenizerFor(resolve(io.cwd, flags.pretrained));
  if (tokenizerFile) await copyFile(tokenizerFile, join(path, basename(tokenizerFile)));
  io.stderr.write(`saved θ(${flags.alpha}) to ${path}\n`);
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
