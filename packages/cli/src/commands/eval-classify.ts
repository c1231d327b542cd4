import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { CLASSIFICATION_TASKS, type ClassificationTask, type TaskSpec } from '@mini-llama/data';
import { loadOodSets, loadSet, parseTaskSpecAt, withAbsolutePath } from '@mini-llama/data/node';
import { type ClassificationMetrics, type IdOodReport, TEXT_SLOT } from '@mini-llama/eval';
import { classificationJson, classificationReportSections, classifySets } from '@mini-llama/eval/node';
import { idOodTable, renderReport } from '@mini-llama/eval/report';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CountProgress } from '../count-progress.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import {
  adapterOption,
  backendOption,
  batchSizeOption,
  jsonOption,
  nameList,
  positiveInteger,
  tokenizerOption,
} from '../options.js';
import { MODEL_HELP, textTable } from './eval-shared.js';

interface ClassifyFlags {
  model: string;
  adapter: string[];
  task: string;
  data?: string;
  zeroShot?: boolean;
  calibrate?: boolean;
  template?: string;
  verbalizers?: string[];
  lengthNormalize?: boolean;
  limit?: number;
  ood?: string[];
  batchSize: number;
  tokenizer?: string;
  backend: BackendRequest;
  json?: boolean;
  report?: string;
}

/** A loaded evaluation set and the name it goes by in tables. */
export function addEvalClassifyCommand(parent: Command, io: CliIo): void {
  const command = parent
    .command('classify')
    .description(
      'Accuracy, macro-F1, per-class metrics and confusion matrix of a fine-tuned classifier (mini-llama finetune --task) or of zero-shot label scoring (--zero-shot).',
    )
    .requiredOption(
      '--model <path>',
      `${MODEL_HELP}; without --zero-shot, with classifier.safetensors beside it`,
    )
    .requiredOption(
      '--task <task>',
      `the dataset's format, ${CLASSIFICATION_TASKS.join(', ')}; or a whole TASKSPEC such as sst2:dev.tsv (then no --data)`,
    )
    .option('--data <path>', 'the labelled file to evaluate on, e.g. ../shared/data/sst2/dev.tsv')
    .option(
      '--zero-shot',
      'score each label word after a prompt with the language model instead of a fine-tuned head',
    )
    .option(
      '--calibrate',
      'with --zero-shot: contextual calibration (Zhao et al. 2021) against the content-free input "N/A"',
    )
    .option(
      '--template <text>',
      `with --zero-shot: the prompt, with ${TEXT_SLOT} where the text goes (default: per task)`,
    )
    .option(
      '--verbalizers <words>',
      "with --zero-shot: comma-separated label words, one per label in the dataset's order (a space is put before each)",
      nameList('--verbalizers'),
    )
    .option(
      '--length-normalize',
      'with --zero-shot: score a label by its mean token log-probability, not the sum',
    )
    .option('--limit <n>', 'evaluate the first n examples only (of each set)', positiveInteger('--limit'))
    .option(
      '--ood <taskspec>',
      'an out-of-domain set with the same labels, e.g. uci:../shared/data/uci-sentiment/yelp_labelled.txt (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--report <file.html>', 'also write a self-contained HTML report (tables, confusion matrices)')
    .addHelpText(
      'after',
      `
Zero-shot prompts (see @mini-llama/eval's README): sst2 and uci "Review: {text}\\nSentiment:" with " negative" /
" positive"; ag_news "Article: {text}\\nTopic:" with " World", " Sports", " Business", " Technology"; any other
task "{text}\\nLabel:" with each label name. A label's score is the summed log-likelihood of its tokens.

--json prints {"mode", "data", "n", "accuracy", "macroF1", "labelNames", "perClass", "confusion" (rows true,
columns predicted), "prompt" and "calibration" (zero-shot), "idOod" (with --ood: {id, ood, oodMean}), "sets" (each
set's {name, role: id | ood, labels, predictions}, label indices per example: pool seeds with @mini-llama/eval's
estimate)}.`,
    );
  adapterOption(command);
  tokenizerOption(command);
  batchSizeOption(command, 'sequences', 16);
  backendOption(command);
  jsonOption(command);
  command.action((flags: ClassifyFlags) => runClassify(flags, io));
}

async function runClassify(flags: ClassifyFlags, io: CliIo): Promise<void> {
  if (!flags.zeroShot) {
    for (const [flag, given] of [
      ['--calibrate', flags.calibrate],
      ['--template', flags.template !== undefined],
      ['--verbalizers', flags.verbalizers !== undefined],
      ['--length-normalize', flags.lengthNormalize],
    ] as const) {
      if (given) throw new CliError(`${flag} applies to zero-shot scoring only: add --zero-shot`);
    }
  }
  if (flags.template !== undefined && !flags.template.includes(TEXT_SLOT)) {
    throw new CliError(`--template must contain ${TEXT_SLOT} where the text goes, got '${flags.template}'`);
  }
  const spec = taskSpec(flags, io.cwd);
  const id = await loadSet(spec, flags.limit);
  const ood = await loadOodSets(flags.ood ?? [], id, flags.limit, io.cwd);
  const labelNames = id.dataset.labelNames;
  if (flags.verbalizers && flags.verbalizers.length !== labelNames.length) {
    throw new CliError(
      `--verbalizers gives ${flags.verbalizers.length} words, the dataset has ${labelNames.length} labels (${labelNames.join(', ')})`,
    );
  }
  await startBackend(flags.backend, io);
  const progress = new CountProgress(io, 'classify', 'examples');
  try {
    const run = await classifySets({
      model: await modelArgument(flags.model, io),
      adapters: flags.adapter.map((directory) => resolve(io.cwd, directory)),
      tokenizer: flags.tokenizer,
      id,
      ood,
      zeroShot: flags.zeroShot
        ? {
            prompt: {
              template: flags.template,
              verbalizers: flags.verbalizers?.map((word) => ` ${word}`),
            },
            calibrate: flags.calibrate ?? false,
            lengthNormalize: flags.lengthNormalize ?? false,
          }
        : null,
      batchSize: flags.batchSize,
      onProgress: ({ done, total }) => progress.update(done, total),
      onMessage: (message) => io.stderr.write(`${message}\n`),
    });
    progress.stop();
    const { metrics } = run.id;
    if (flags.json) {
      const report = classificationJson(run, { examples: true });
      io.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      io.stdout.write(summaryText(run.mode, run.calibration, run.id.name, metrics, run.idOod));
    }
    if (flags.report) {
      const path = resolve(io.cwd, flags.report);
      const html = await renderReport({
        title: `Classification: ${run.id.name}`,
        subtitle: describeRun(flags),
        sections: classificationReportSections(run),
      });
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, html);
      io.stderr.write(`report: ${path}\n`);
    }
  } finally {
    progress.stop();
  }
}

/** --task (a task name with --data, or a whole TASKSPEC) → the spec, paths made absolute. */
function taskSpec(flags: ClassifyFlags, cwd: string): TaskSpec {
  if (flags.task.includes(':')) {
    if (flags.data !== undefined) {
      throw new CliError(
        `--task ${flags.task} already names the data: drop --data, or give only the task name`,
      );
    }
    return parseTaskSpecAt(flags.task, cwd, '--task');
  }
  if (!(CLASSIFICATION_TASKS as readonly string[]).includes(flags.task)) {
    throw new CliError(
      `--task: unknown task '${flags.task}' (tasks: ${CLASSIFICATION_TASKS.join(', ')}, or TASK:PATH)`,
    );
  }
  if (flags.data === undefined) {
    throw new CliError(
      `--data PATH is required with --task ${flags.task} (or give --task ${flags.task}:PATH)`,
    );
  }
  return withAbsolutePath({ task: flags.task as ClassificationTask, path: flags.data }, cwd);
}

type Calibration = { contentFree: readonly string[]; probabilities: number[] } | null;

function summaryText(
  mode: string,
  calibration: Calibration,
  name: string,
  metrics: ClassificationMetrics,
  idOod: IdOodReport | null,
): string {
  const calibrated = calibration
    ? `, calibrated (content-free ${JSON.stringify(calibration.contentFree[0])}: ${calibration.probabilities
        .map((p, i) => `${metrics.labelNames[i]} ${p.toFixed(4)}`)
        .join(', ')})`
    : '';
  const summary = textTable(
    ['mode', `${mode}${calibrated}`],
    [
      ['data', name],
      ['n', metrics.n],
      ['accuracy', metrics.accuracy.toFixed(4)],
      ['macroF1', metrics.macroF1.toFixed(4)],
    ],
  );
  const perClass = textTable(
    ['class', 'precision', 'recall', 'F1', 'support'],
    metrics.perClass.map((c) => [
      c.label,
      c.precision.toFixed(4),
      c.recall.toFixed(4),
      c.f1.toFixed(4),
      c.support,
    ]),
  );
  const domains = idOod
    ? `\n\n${textTable(
        ['set', 'domain', 'accuracy', 'macroF1', 'n'],
        idOodTable(idOod).rows.map((row) =>
          row.map((cell) => (typeof cell === 'number' && !Number.isInteger(cell) ? cell.toFixed(4) : cell)),
        ),
      )}`
    : '';
  return `${summary}\n\n${perClass}${domains}\n`;
}

function describeRun(flags: ClassifyFlags): string {
  const parts = ['mini-llama eval classify', `--model ${flags.model}`, `--task ${flags.task}`];
  if (flags.data) parts.push(`--data ${flags.data}`);
  if (flags.zeroShot) parts.push('--zero-shot');
  if (flags.calibrate) parts.push('--calibrate');
  if (flags.limit) parts.push(`--limit ${flags.limit}`);
  for (const ood of flags.ood ?? []) parts.push(`--ood ${ood}`);
  return parts.join(' ');
}
