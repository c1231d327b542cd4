// `finetune`: a pretrained model (model.init) taught a classification task (a head on the last real token) or
// prompt → completion pairs (the prompt left out of the loss), in full or with LoRA, in a run directory that a
// stopped run resumes from exactly.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type ClassificationExample,
  checkTokenizerMatchesModel,
  classificationBatches,
  ExampleBatches,
  formatTaskSpec,
  parsePromptCompletions,
  promptCompletionBatch,
  type TokenBatch,
} from '@mini-llama/data';
import { loadTask, parseTaskSpecAt } from '@mini-llama/data/node';
import {
  evaluateClassifier,
  type PromptTemplate,
  promptForTaskSpec,
  verbalizerTokenIds,
  withDistinctFirstTokens,
} from '@mini-llama/eval';
import { LABELS_FILE, readClassifierHead, saveClassifierHead } from '@mini-llama/eval/node';
import { writeAtomic } from '@mini-llama/formats/node';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel, saveModel } from '@mini-llama/model/node';
import { formatParameterReport, LoraModel, parameterReport } from '@mini-llama/peft-lora';
import { saveAdapter } from '@mini-llama/peft-lora/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { copyTokenizerTo, findTokenizerFor, openTokenizer } from '@mini-llama/tokenizer/node';
import { lmHeadOf, verbalizerHead } from '@mini-llama/wise-ft';
import type { BatchSource } from '../batch-source.js';
import {
  type FinetuneSettings,
  type RunConfig,
  type RunConfigOverrides,
  trainerConfigFromRun,
} from '../run-config.js';
import {
  classificationObjective,
  languageModelObjective,
  type Objective,
  type TrainableModel,
  Trainer,
} from '../trainer.js';
import { absolutePaths } from './pretrain.js';
import { writeRunConfig } from './run-directory.js';
import { runTraining } from './run-training.js';
import {
  type RunEvents,
  type RunStartOptions,
  resumeFromLatest,
  type TrainingRunResult,
  withRun,
} from './training-run.js';

/** What starts a fine-tune: its configuration's data section comes from its `finetune` section. */
export type FinetuneOptions = RunStartOptions;

export interface FinetuneResult extends TrainingRunResult {
  /** The weights it started from (an adapter applies to them). */
  base: string;
  /** Classification with an evaluation task: its accuracy at the end, and its size. */
  accuracy: number | null;
  evalExamples: number;
}

/** Fine-tunes (or continues fine-tuning) a model; see PretrainOptions for the options and RunEvents. */
export async function finetune(options: FinetuneOptions, events: RunEvents = {}): Promise<FinetuneResult> {
  if (!options.resume) checkSettings(options.config?.model?.init, options.config?.finetune);
  return withRun(
    options,
    events,
    (config, cwd) => finetunePaths(absolutePaths(config, cwd), cwd),
    (directory, config, resuming) =>
      finetuneIn(directory, config, checkedSettings(config), resuming, options.signal, events),
  );
}

/** A fine-tune's configuration as a run records it: TASKSPEC and JSONL paths absolute, what it trains on in data.train. */
function finetunePaths<T extends RunConfigOverrides>(config: T, cwd: string): T {
  const finetune = config.finetune;
  if (!finetune) return config;
  const spec = (value: string | null | undefined) =>
    value ? formatTaskSpec(parseTaskSpecAt(value, cwd, 'finetune.task')) : value;
  const task = spec(finetune.task);
  const lmData = finetune.lmData ? resolve(cwd, finetune.lmData) : finetune.lmData;
  const trainsOn = task ?? lmData;
  return {
    ...config,
    finetune: { ...finetune, task, evalTask: spec(finetune.evalTask), lmData },
    ...(trainsOn ? { data: { ...config.data, train: [trainsOn] } } : {}),
  };
}

function checkedSettings(config: RunConfig): FinetuneSettings {
  checkSettings(config.model.init, config.finetune);
  return config.finetune!;
}

/** What every fine-tune needs: a model to start from, and exactly one kind of data. */
function checkSettings(
  init: string | undefined,
  settings:
    | { task?: string | null; lmData?: string | null; head?: string; train?: string; lora?: unknown }
    | undefined,
): void {
  if (!init) throw new Error('--init WEIGHTS is required: the model to fine-tune');
  if (!settings || Boolean(settings.task) === Boolean(settings.lmData)) {
    throw new Error(
      'give exactly one of --task TASKSPEC (classification) or --lm-data FILE (LM fine-tuning)',
    );
  }
  if (settings.head && settings.head !== 'random' && !settings.task) {
    throw new Error(`--head ${settings.head} applies to classification (--task)`);
  }
  if (settings.train === 'head' && (!settings.task || settings.lora)) {
    throw new Error(
      '--train head (a linear probe) applies to classification (--task), without LoRA: the head is what learns',
    );
  }
}

async function finetuneIn(
  directory: string,
  config: RunConfig,
  settings: FinetuneSettings,
  resuming: boolean,
  signal: AbortSignal | undefined,
  events: RunEvents,
): Promise<FinetuneResult> {
  const say = events.onMessage ?? (() => {});
  const init = config.model.init!;
  const { model } = await loadModel(init);
  const parts: {
    classifier: SequenceClassifier | null;
    lora: LoraModel | null;
    trainer: Trainer<TrainableModel> | null;
  } = {
    classifier: null,
    lora: null,
    trainer: null,
  };
  try {
    const tokenizerPath = config.data.tokenizer ?? (await findTokenizerFor(init));
    if (!tokenizerPath)
      throw new Error(`no tokenizer next to ${init}: pass --tokenizer PATH (or bytes, llama2)`);
    const { tokenizer, file: tokenizerFile } = await openTokenizer(tokenizerPath);
    checkTokenizerMatchesModel(tokenizer, model.config.vocabSize, tokenizerPath);
    const { training } = config;
    const maxLength = settings.maxLength ?? model.config.maxSeqLen;
    const task = settings.task
      ? await classificationTask(
          init,
          model,
          tokenizer,
          settings,
          training.seed,
          maxLength,
          training.batchSize,
          say,
        )
      : null;
    parts.classifier = task?.classifier ?? null;
    const source: BatchSource = task
      ? task.source
      : new ExampleBatches(
          parsePromptCompletions(await readFile(settings.lmData!, 'utf8'), settings.lmData!, settings),
          (rows) => promptCompletionBatch(rows, tokenizer, maxLength),
          training.seed,
        );
    let trainable: TrainableModel = parts.classifier ?? model;
    let objective = (
      parts.classifier ? classificationObjective : languageModelObjective
    ) as Objective<TrainableModel>;
    if (settings.lora) {
      // The adapter wraps the model (or classifier); only its matrices (and a classifier's head) get gradients
      // and optimizer state, and checkpoints hold only them.
      const lora = new LoraModel(parts.classifier ?? model, settings.lora);
      parts.lora = lora;
      const inner = objective;
      trainable = lora;
      objective = ((wrapper: LoraModel, batch: TokenBatch) =>
        inner(wrapper.classifier ?? wrapper.llama, batch)) as Objective<TrainableModel>;
      say(
        `LoRA r=${settings.lora.r} alpha=${settings.lora.alpha} on ${lora.targetModules().length} modules: ${formatParameterReport(parameterReport(lora))}`,
      );
    }
    // a linear probe: the head alone gets gradients and optimizer state; the features stay as loaded
    const learning =
      settings.train === 'head' && parts.classifier
        ? { [CLASSIFIER_HEAD]: parts.classifier.parameters()[CLASSIFIER_HEAD]! }
        : trainable.parameters();
    const trainer = new Trainer(
      trainable,
      trainerConfigFromRun(training, { evaluate: Boolean(task?.validation) }),
      objective,
      learning,
    );
    parts.trainer = trainer;
    if (events.onEvent) trainer.on(events.onEvent);
    if (resuming) await resumeFromLatest(trainer, source, directory, say);
    const recorded: RunConfig = {
      ...config,
      finetune: {
        ...settings,
        maxLength,
        labelNames: task?.labelNames ?? [],
        prompt: task?.prompt
          ? { template: task.prompt.template, verbalizers: [...task.prompt.verbalizers] }
          : null,
      },
    };
    await writeRunConfig(directory, recorded);
    const parameters =
      model.parameterCount() +
      (parts.classifier ? parts.classifier.score.inFeatures * parts.classifier.numLabels : 0);
    const trainableCount = Object.values(learning).reduce((sum, variable) => sum + variable.size, 0);
    events.onStart?.({
      directory,
      config: recorded,
      parameters,
      trainable: trainableCount,
      steps: training.steps,
      fromStep: trainer.step,
      summary: `${settings.task ?? settings.lmData}: ${training.steps} steps of ${training.batchSize * training.gradAccum}, ${trainableCount.toLocaleString('en-US')} of ${parameters.toLocaleString('en-US')} parameters trained → ${directory}`,
    });
    const validationAccuracy = async () =>
      (
        await evaluateClassifier(parts.classifier!, task!.evalExamples, tokenizer, {
          batchSize: training.batchSize,
          maxLength,
          template: task!.prompt?.template,
        })
      ).metrics.accuracy;
    const result = await runTraining({
      runDirectory: directory,
      trainer,
      train: source,
      validation: task?.validation,
      evaluateMore:
        settings.trackAccuracy && parts.classifier && task && task.evalExamples.length > 0
          ? async () => ({ valAccuracy: await validationAccuracy() })
          : undefined,
      checkpointEvery: training.checkpointEvery,
      keepLast: training.keepLast,
      logEvery: training.logEvery,
      dtype: training.checkpointDtype.toUpperCase() as 'F32' | 'F16' | 'BF16',
      runState: { runConfig: recorded, tokenizer: tokenizerPath, base: init },
      signal,
    });
    const finished = {
      directory,
      base: init,
      step: result.step,
      stopped: result.stopped,
      bestValLoss: result.bestValLoss,
      metrics: join(directory, 'metrics.jsonl'),
    };
    if (result.stopped) return { ...finished, saved: null, accuracy: null, evalExamples: 0 };
    const accuracy =
      parts.classifier && task && task.evalExamples.length > 0 ? await validationAccuracy() : null;
    const saved = await saveFinetuned(directory, model, parts.classifier, parts.lora, init, tokenizerFile, {
      labelNames: task?.labelNames ?? [],
      prompt: task?.prompt ?? null,
      maxLength,
    });
    return { ...finished, saved, accuracy, evalExamples: task?.evalExamples.length ?? 0 };
  } finally {
    parts.trainer?.dispose();
    parts.lora?.dispose();
    parts.classifier?.dispose();
    model.dispose();
  }
}

interface ClassificationTask {
  classifier: SequenceClassifier;
  labelNames: string[];
  prompt: PromptTemplate | null;
  source: BatchSource;
  validation: (() => TokenBatch[]) | undefined;
  evalExamples: ClassificationExample[];
}

/** The parameter a linear probe trains: the classifier's head. */
const CLASSIFIER_HEAD = 'score.weight';

/**
 * The head of the classifier a fine-tune starts from (`head: 'init'`): the one saved beside model.init, for
 * the same labels in the same order.
 */
async function headOfInit(initPath: string, dim: number, labelNames: readonly string[]) {
  const head = await readClassifierHead(initPath, dim);
  if (!head) {
    throw new Error(
      `--head init: ${initPath} has no classifier.safetensors beside it; give a classifier (e.g. a linear probe's RUN/model)`,
    );
  }
  if (head.labels.labelNames.join('\n') !== labelNames.join('\n')) {
    throw new Error(
      `--head init: ${initPath}'s classifier has the labels ${head.labels.labelNames.join(', ')}, the task ${labelNames.join(', ')}`,
    );
  }
  return head;
}

/** The classifier, its training batches and its held-out set (a resumed run finds its recorded labels and prompt). */
async function classificationTask(
  initPath: string,
  model: LlamaModel,
  tokenizer: Tokenizer,
  settings: FinetuneSettings,
  seed: number,
  maxLength: number,
  batchSize: number,
  say: (message: string) => void,
): Promise<ClassificationTask> {
  const train = await loadTask(parseTaskSpecAt(settings.task!, process.cwd(), 'finetune.task'));
  const labelNames = train.labelNames;
  if (
    settings.labelNames &&
    settings.labelNames.length > 0 &&
    settings.labelNames.join('\n') !== labelNames.join('\n')
  ) {
    throw new Error(
      `${settings.task}: its labels are now ${labelNames.join(', ')}, the run recorded ${settings.labelNames.join(', ')}: the data changed since the run started`,
    );
  }
  const classifier = new SequenceClassifier(model, labelNames.length, { seed });
  let prompt: PromptTemplate | null = null;
  if (settings.head === 'init') {
    const init = await headOfInit(initPath, model.config.dim, labelNames);
    classifier.setScore(init.scoreWeight);
    prompt = init.labels.prompt;
    say(
      `head: ${initPath}'s (${labelNames.join(', ')})${prompt ? `; texts in ${JSON.stringify(prompt.template)}` : ''}`,
    );
  } else if (settings.head === 'zero-shot') {
    prompt =
      settings.prompt ?? withDistinctFirstTokens(tokenizer, promptForTaskSpec(settings.task!, labelNames));
    classifier.setScore(
      verbalizerHead(lmHeadOf(await model.stateDict()), verbalizerTokenIds(tokenizer, prompt)),
    );
    say(
      `head: zero-shot, from the LM head's rows for${prompt.verbalizers.map((word) => ` '${word.trim()}'`).join(',')}; texts in ${JSON.stringify(prompt.template)}`,
    );
  }
  const template = prompt?.template;
  const batch = (rows: ClassificationExample[]) =>
    [...classificationBatches(rows, tokenizer, { batchSize: rows.length, maxLength, template })][0]!;
  const source = new ExampleBatches(train.examples, batch, seed);
  let validation: (() => TokenBatch[]) | undefined;
  let evalExamples: ClassificationExample[] = [];
  if (settings.evalTask) {
    const held = await loadTask(parseTaskSpecAt(settings.evalTask, process.cwd(), 'finetune.evalTask'));
    evalExamples = held.examples;
    validation = () => [
      ...classificationBatches(held.examples, tokenizer, { batchSize, maxLength, template }),
    ];
  }
  return { classifier, labelNames, prompt, source, validation, evalExamples };
}

/** The trained weights: a LoRA run's adapter (PEFT files at the top of the run directory), else RUN/model. */
async function saveFinetuned(
  directory: string,
  model: LlamaModel,
  classifier: SequenceClassifier | null,
  lora: LoraModel | null,
  init: string,
  tokenizerFile: string | null,
  labels: { labelNames: string[]; prompt: PromptTemplate | null; maxLength: number },
): Promise<string> {
  if (lora) {
    await saveAdapter(lora, directory, { baseModelNameOrPath: init });
    if (tokenizerFile) await copyTokenizerTo(tokenizerFile, directory);
    if (classifier) {
      const record = {
        labelNames: labels.labelNames,
        ...(labels.prompt ? { prompt: labels.prompt } : {}),
        maxLength: labels.maxLength,
      };
      await writeAtomic(join(directory, LABELS_FILE), `${JSON.stringify(record, null, 2)}\n`);
    }
    return directory;
  }
  const saved = join(directory, 'model');
  await saveModel(model, saved, { format: 'hf' });
  if (tokenizerFile) await copyTokenizerTo(tokenizerFile, saved);
  if (classifier)
    await saveClassifierHead(saved, (await classifier.stateDict()).get('score.weight')!, labels);
  return saved;
}
