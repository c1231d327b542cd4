import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import {
  CLASSIFICATION_TASKS,
  type ClassificationTask,
  checkTokenizerMatchesModel,
  type TaskSpec,
} from '@mini-llama/data';
import {
  type ClassificationMetrics,
  classificationMetrics,
  classifierPredictor,
  contentFreeLabelProbabilities,
  DEFAULT_CONTENT_FREE,
  type IdOodReport,
  idOodReport,
  type Predictor,
  type PromptTemplate,
  promptForTask,
  TEXT_SLOT,
  zeroShotPredictor,
} from '@mini-llama/eval';
import {
  confusionMatrixSection,
  idOodTable,
  metricsTable,
  type ReportSection,
  renderReport,
} from '@mini-llama/eval/report';
import type { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import type { Command } from 'commander';
import { ADAPTER_HELP, mergeAdapters } from '../adapters.js';
import { startBackend } from '../backend.js';
import { loadClassifierModel } from '../classifier-loading.js';
import { CountProgress } from '../count-progress.js';
import { CliError } from '../errors.js';
import { type EvalSet, loadOodSets, loadSet, parseSpecFlag, withAbsolutePath } from '../eval-sets.js';
import type { CliIo } from '../io.js';
import { BACKEND_HELP, backendRequest, collect, nameList, positiveInteger } from '../options.js';
import { evalTokenizer, MODEL_HELP, TOKENIZER_HELP, textTable } from './eval-shared.js';

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
  parent
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
    .option('--batch-size <n>', 'sequences per forward pass', positiveInteger('--batch-size'), 16)
    .option('--adapter <dir>', ADAPTER_HELP, collect, [])
    .option('--tokenizer <path>', TOKENIZER_HELP)
    .option('--backend <name>', BACKEND_HELP, backendRequest, 'auto')
    .option('--json', 'print one JSON object on stdout')
    .option('--report <file.html>', 'also write a self-contained HTML report (tables, confusion matrices)')
    .addHelpText(
      'after',
      `
Zero-shot prompts (see @mini-llama/eval's README): sst2 and uci "Review: {text}\\nSentiment:" with " negative" /
" positive"; ag_news "Article: {text}\\nTopic:" with " World", " Sports", " Business", " Technology"; any other
task "{text}\\nLabel:" with each label name. A label's score is the summed log-likelihood of its tokens.

--json prints {"mode", "data", "n", "accuracy", "macroF1", "labelNames", "perClass", "confusion" (rows true,
columns predicted), "prompt" and "calibration" (zero-shot), "idOod" (with --ood: {id, ood, oodMean})}.`,
    )
    .action((flags: ClassifyFlags) => runClassify(flags, io));
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
  const modelPath = resolve(io.cwd, flags.model);
  const id = await loadSet(spec, flags.limit);
  const oodSets = await loadOodSets(flags.ood ?? [], id, flags.limit, io.cwd);
  const tokenizer = (await evalTokenizer(flags.tokenizer, modelPath, io, {
    required: 'the texts must be tokenized',
  }))!;
  await startBackend(flags.backend, io);

  const labelNames = id.dataset.labelNames;
  let model: LlamaModel;
  let classifier: SequenceClassifier | null = null;
  let prompt: PromptTemplate | null = null;
  let classifierPrompt: PromptTemplate | null = null; // the prompt a classifier was fine-tuned in
  let classifierMaxLength: number | null = null; // the longest input it was fine-tuned on
  if (flags.zeroShot) {
    prompt = zeroShotPrompt(flags, spec.task, labelNames);
    model = (await loadModel(modelPath)).model;
  } else {
    const loaded = await loadClassifierModel(modelPath, flags.adapter, io);
    model = loaded.model;
    classifier = loaded.classifier;
    classifierPrompt = loaded.prompt;
    classifierMaxLength = loaded.maxLength;
    if (loaded.labelNames.length !== labelNames.length) {
      model.dispose();
      classifier.dispose();
      throw new CliError(
        `the classifier has ${loaded.labelNames.length} labels (${loaded.labelNames.join(', ')}), ${id.name} has ${labelNames.length} (${labelNames.join(', ')})`,
      );
    }
    if (loaded.labelNames.some((name, i) => name !== labelNames[i])) {
      io.stderr.write(
        `warning: the classifier's labels (${loaded.labelNames.join(', ')}) are named unlike ${id.name}'s (${labelNames.join(', ')}); comparing by index\n`,
      );
    }
  }
  if (!classifier) await mergeAdapters(model, flags.adapter, io); // LoRA adapters, merged in order
  const progress = new CountProgress(io, 'classify', 'examples');
  try {
    checkTokenizerMatchesModel(tokenizer.tokenizer, model.config.vocabSize, tokenizer.name);
    const onProgress = ({ done, total }: { done: number; total: number }) => progress.update(done, total);
    let contentFree: number[] | null = null;
    let predict: Predictor;
    if (classifier) {
      predict = classifierPredictor(classifier, tokenizer.tokenizer, {
        batchSize: flags.batchSize,
        template: classifierPrompt?.template,
        maxLength: classifierMaxLength ?? undefined,
        onProgress,
      });
    } else {
      const options = { batchSize: flags.batchSize, lengthNormalize: flags.lengthNormalize ?? false };
      if (flags.calibrate) {
        contentFree = await contentFreeLabelProbabilities(
          model,
          tokenizer.tokenizer,
          prompt!,
          DEFAULT_CONTENT_FREE,
          options,
        );
      }
      predict = zeroShotPredictor(model, tokenizer.tokenizer, prompt!, {
        ...options,
        onProgress,
        calibrate: flags.calibrate ?? false,
        contentFreeProbabilities: contentFree ?? undefined,
      });
    }
    const evaluate = async ({ name, dataset }: EvalSet) => {
      const predictions = await predict(dataset.examples.map((example) => example.text));
      const labels = dataset.examples.map((example) => example.label);
      return { name, metrics: classificationMetrics(labels, predictions, labelNames) };
    };
    const idResult = await evaluate(id);
    const oodResults = [];
    for (const set of oodSets) oodResults.push(await evaluate(set));
    progress.stop();
    const idOod = oodSets.length > 0 ? idOodReport(idResult, oodResults) : null;
    const mode = flags.zeroShot ? 'zero-shot' : 'classifier';
    const calibration = contentFree
      ? { contentFree: DEFAULT_CONTENT_FREE, probabilities: contentFree }
      : null;
    const { metrics } = idResult;
    if (flags.json) {
      const report = {
        mode,
        data: id.name,
        n: metrics.n,
        accuracy: metrics.accuracy,
        macroF1: metrics.macroF1,
        labelNames,
        perClass: metrics.perClass,
        confusion: metrics.confusion,
        ...(prompt ? { prompt, calibration, lengthNormalize: flags.lengthNormalize ?? false } : {}),
        ...(idOod ? { idOod } : {}),
      };
      io.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      io.stdout.write(summaryText(mode, calibration, id.name, metrics, idOod));
    }
    if (flags.report) {
      const path = resolve(io.cwd, flags.report);
      const sections = reportSections(prompt, calibration, idResult, oodResults, idOod);
      const html = await renderReport({
        title: `Classification: ${id.name}`,
        subtitle: describeRun(flags),
        sections,
      });
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, html);
      io.stderr.write(`report: ${path}\n`);
    }
  } finally {
    progress.stop();
    classifier?.dispose();
    model.dispose();
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
    return parseSpecFlag(flags.task, '--task', cwd);
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

function zeroShotPrompt(flags: ClassifyFlags, task: string, labelNames: readonly string[]): PromptTemplate {
  let base: PromptTemplate;
  try {
    base = promptForTask(task, labelNames);
  } catch (error) {
    throw new CliError(`${(error as Error).message}: give --template and --verbalizers for this dataset`);
  }
  const verbalizers = flags.verbalizers?.map((word) => ` ${word}`) ?? base.verbalizers;
  if (verbalizers.length !== labelNames.length) {
    throw new CliError(
      `--verbalizers gives ${verbalizers.length} words, the dataset has ${labelNames.length} labels (${labelNames.join(', ')})`,
    );
  }
  return { template: flags.template ?? base.template, verbalizers };
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

function reportSections(
  prompt: PromptTemplate | null,
  calibration: Calibration,
  id: { name: string; metrics: ClassificationMetrics },
  ood: readonly { name: string; metrics: ClassificationMetrics }[],
  idOod: IdOodReport | null,
): ReportSection[] {
  const how = prompt
    ? [
        `**Zero-shot**: each label is scored by the log-likelihood of its words after the prompt \`${JSON.stringify(prompt.template)}\`;`,
        `label words ${prompt.verbalizers.map((word) => `\`${JSON.stringify(word)}\``).join(', ')}.`,
        calibration
          ? `Calibrated (Zhao et al. 2021) against the content-free input ${JSON.stringify(calibration.contentFree[0])}, whose label probabilities were ${calibration.probabilities.map((p) => p.toFixed(4)).join(', ')}.`
          : '',
      ].join(' ')
    : '**Fine-tuned classifier**: the sequence-classification head (`classifier.safetensors`) on the last real token.';
  const summary: ReportSection = idOod
    ? idOodTable(idOod, 'Accuracy in and out of domain')
    : {
        type: 'table',
        title: 'Summary',
        columns: ['set', 'n', 'accuracy', 'macro F1'],
        rows: [[id.name, id.metrics.n, id.metrics.accuracy, id.metrics.macroF1]],
      };
  return [
    { type: 'markdown', title: 'Method', markdown: how },
    summary,
    metricsTable(id.metrics, `Per-class metrics: ${id.name}`),
    confusionMatrixSection(id.metrics, `Confusion matrix: ${id.name}`),
    ...ood.map(({ name, metrics }) => confusionMatrixSection(metrics, `Confusion matrix: ${name} (OOD)`)),
  ];
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
