import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import {
  type ClassificationExample,
  checkTokenizerMatchesModel,
  classificationBatches,
  combineSeeds,
  parseJsonl,
  shuffle,
} from '@mini-llama/data';
import { loadTask } from '@mini-llama/data/node';
import type { PromptTemplate } from '@mini-llama/eval';
import { saveClassifierHead } from '@mini-llama/eval/node';
import { writeAtomic } from '@mini-llama/formats/node';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel, saveModel } from '@mini-llama/model/node';
import { formatParameterReport, LoraModel, parameterReport } from '@mini-llama/peft-lora';
import { saveAdapter } from '@mini-llama/peft-lora/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import {
  type BatchSource,
  classificationObjective,
  IGNORE_INDEX,
  languageModelObjective,
  type Objective,
  parseRunConfig,
  type RunConfigInput,
  type TokenBatch,
  type TrainableModel,
  Trainer,
  trainerConfigFromRun,
} from '@mini-llama/trainer';
import { latestCheckpoint, resumeTraining, runTraining } from '@mini-llama/trainer/node';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { type LoraFlags, type LoraRunSettings, loraSettingsFromFlags } from '../adapters.js';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { dropoutProbability, nameList, oneOf, positiveInteger, positiveNumber } from '../options.js';
import { StepProgress } from '../step-progress.js';
import { findTokenizerFor, openTokenizer } from '../tokenizer-files.js';
import { initialiseZeroShotHead, promptForTaskSpec, withDistinctFirstTokens } from '../zero-shot-head.js';
import { addTrainingOptions, runConfigFromFlags, type TrainingFlags } from './training-options.js';

interface FinetuneFlags extends TrainingFlags, LoraFlags {
  task?: string;
  head?: HeadInit;
  evalTask?: string;
  lmData?: string;
  promptField: string;
  completionField: string;
  maxLength?: number;
}

/** What run-config.json records under `finetune` (read back by --resume). */
interface FinetuneRecord {
  task: string | null;
  evalTask: string | null;
  lmData: string | null;
  labelNames: string[];
  lora?: LoraRunSettings | null;
  /** How the classification head started, and the prompt its inputs are put in (zero-shot head only). */
  head?: HeadInit;
  prompt?: PromptTemplate | null;
}

type HeadInit = 'random' | 'zero-shot';

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
      "classification head: random (N(0, 0.02), raw texts) or zero-shot (texts in the task's prompt, the head made of the LM head's rows for the label words, so step 0 is the zero-shot classifier; what WiSE-FT needs)",
      oneOf('--head', ['random', 'zero-shot']),
      'random',
    )
    .option('--lm-data <file>', 'JSONL of {"prompt": ..., "completion": ...} for LM fine-tuning')
    .option('--prompt-field <name>', 'JSONL field of the prompt', 'prompt')
    .option('--completion-field <name>', 'JSONL field of the completion', 'completion')
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
  const resumeDirectory = flags.resume ? resolve(io.cwd, flags.resume) : undefined;
  // A resumed run reads back its run configuration and what it fine-tunes on (and how: LoRA or not).
  let base: RunConfigInput | undefined;
  let recorded: FinetuneRecord | undefined;
  if (resumeDirectory) {
    const path = join(resumeDirectory, 'run-config.json');
    const saved = JSON.parse(
      await readFile(path, 'utf8').catch(() => {
        throw new CliError(`--resume: ${path} not found: is this a run directory?`);
      }),
    ) as RunConfigInput & { finetune?: FinetuneRecord };
    const { finetune, ...runConfig } = saved;
    base = runConfig;
    recorded = finetune;
    if (
      flags.loraRank !== undefined ||
      flags.loraAlpha !== undefined ||
      flags.loraTargets ||
      flags.loraDropout !== undefined
    ) {
      throw new CliError(
        '--resume: the LoRA settings come from the run being resumed; leave out the --lora-* flags',
      );
    }
  }
  const task = flags.task ?? recorded?.task ?? undefined;
  const lmData = flags.lmData ?? recorded?.lmData ?? undefined;
  const evalTask = flags.evalTask ?? recorded?.evalTask ?? undefined;
  if (Boolean(task) === Boolean(lmData)) {
    throw new CliError(
      'give exactly one of --task TASKSPEC (classification) or --lm-data FILE (LM fine-tuning)',
    );
  }
  const head: HeadInit = recorded?.head ?? flags.head ?? 'random';
  if (head === 'zero-shot' && !task)
    throw new CliError('--head zero-shot applies to classification (--task)');
  const data = task ?? lmData!;
  const config = parseRunConfig(runConfigFromFlags({ ...flags, data: [data] }, base), 'run configuration');
  const lora = recorded ? (recorded.lora ?? null) : loraSettingsFromFlags(flags, config.training.seed);
  const outDirectory = resumeDirectory ?? (flags.out ? resolve(io.cwd, flags.out) : undefined);
  if (!outDirectory) throw new CliError('--out DIR is required (or --resume DIR)');
  await startBackend(config.backend as BackendRequest, io);

  const initPath = resolve(io.cwd, config.model.init!);
  const { model } = await loadModel(initPath);
  const tokenizerPath = config.data.tokenizer ?? (await findTokenizerFor(initPath));
  if (!tokenizerPath)
    throw new CliError(`no tokenizer next to ${initPath}: pass --tokenizer PATH (or bytes, llama2)`);
  const { tokenizer, file: tokenizerFile } = await openTokenizer(tokenizerPath, io.cwd);
  checkTokenizerMatchesModel(tokenizer, model.config.vocabSize, tokenizerPath);
  const { training } = config;
  const maxLength = flags.maxLength ?? model.config.maxSeqLen;

  let trainable: TrainableModel;
  let objective: Objective<TrainableModel>;
  let source: BatchSource;
  let validation: (() => TokenBatch[]) | undefined;
  let classifier: SequenceClassifier | null = null;
  let labelNames: string[] = [];
  let evalExamples: ClassificationExample[] = [];
  let prompt: PromptTemplate | null = null;
  if (task) {
    const train = await loadTask(task);
    labelNames = train.labelNames;
    classifier = new SequenceClassifier(model, labelNames.length, { seed: training.seed });
    if (head === 'zero-shot') {
      prompt = recorded?.prompt ?? withDistinctFirstTokens(tokenizer, promptForTaskSpec(task, labelNames));
      await initialiseZeroShotHead(classifier, model, tokenizer, prompt);
      io.stderr.write(
        `head: zero-shot, from the LM head's rows for${prompt.verbalizers.map((word) => ` '${word.trim()}'`).join(',')}; texts in ${JSON.stringify(prompt.template)}\n`,
      );
    }
    const template = prompt?.template;
    trainable = classifier;
    objective = classificationObjective as Objective<TrainableModel>;
    source = new ExampleSource(
      train.examples,
      (rows) => classificationBatch(rows, tokenizer, maxLength, template),
      training.batchSize,
      training.seed,
    );
    if (evalTask) {
      const held = await loadTask(evalTask);
      evalExamples = held.examples;
      validation = () =>
        [
          ...classificationBatches(held.examples, tokenizer, {
            batchSize: training.batchSize,
            maxLength,
            template,
          }),
        ].map(toTokenBatch);
    }
  } else {
    const examples = await readPromptCompletions(
      resolve(io.cwd, lmData!),
      flags.promptField,
      flags.completionField,
    );
    trainable = model;
    objective = languageModelObjective as Objective<TrainableModel>;
    source = new ExampleSource(
      examples,
      (rows) => promptCompletionBatch(rows, tokenizer, maxLength),
      training.batchSize,
      training.seed,
    );
  }
  // LoRA: the adapter wraps the model (or classifier) in place; only its matrices (and a classifier's head)
  // get gradients and optimizer state, and checkpoints hold only them.
  const adapted = lora ? new LoraModel(classifier ?? model, lora) : null;
  if (adapted) {
    const inner = objective as Objective<TrainableModel>;
    trainable = adapted;
    objective = ((wrapper: LoraModel, batch: TokenBatch) =>
      inner(wrapper.classifier ?? wrapper.llama, batch)) as Objective<TrainableModel>;
    io.stderr.write(
      `LoRA r=${lora!.r} alpha=${lora!.alpha} on ${adapted.targetModules().length} modules: ${formatParameterReport(parameterReport(adapted))}\n`,
    );
  }
  const trainer = new Trainer(
    trainable,
    trainerConfigFromRun(training, { evaluate: Boolean(validation) }),
    objective,
    trainable.parameters(),
  );
  await mkdir(outDirectory, { recursive: true });
  if (resumeDirectory) {
    const checkpoint = await latestCheckpoint(resumeDirectory);
    if (!checkpoint) throw new CliError(`--resume: no checkpoint in ${resumeDirectory}`);
    await resumeTraining(trainer, source, checkpoint, resumeDirectory);
    io.stderr.write(`resumed from ${checkpoint} at step ${trainer.step}\n`);
  }
  const finetune: FinetuneRecord = {
    task: task ?? null,
    evalTask: evalTask ?? null,
    lmData: lmData ? resolve(io.cwd, lmData) : null,
    labelNames,
    lora,
    head,
    prompt,
  };
  // The base is recorded by absolute path: a LoRA run's checkpoints hold the adapter only and refer to it.
  const resolved = { ...config, model: { ...config.model, init: initPath }, finetune };
  await writeAtomic(join(outDirectory, 'run-config.json'), `${JSON.stringify(resolved, null, 2)}\n`);
  const progress = new StepProgress(io, training.steps, trainer.step);
  trainer.on(progress.listener());
  const controller = new AbortController();
  const interrupt = () => {
    io.stderr.write('\ninterrupted: finishing this step and writing a checkpoint (Ctrl-C again to abort)\n');
    controller.abort();
    process.off('SIGINT', interrupt);
  };
  process.on('SIGINT', interrupt);
  try {
    const result = await runTraining({
      runDirectory: outDirectory,
      trainer,
      train: source,
      validation,
      checkpointEvery: training.checkpointEvery,
      keepLast: training.keepLast,
      logEvery: training.logEvery,
      dtype: training.checkpointDtype.toUpperCase() as 'F32' | 'F16' | 'BF16',
      runState: { runConfig: resolved, tokenizer: tokenizerPath, base: initPath },
      signal: controller.signal,
    });
    progress.stop();
    if (result.stopped) {
      io.stdout.write(
        `stopped at step ${result.step}\nresume with: mini-llama finetune --resume ${outDirectory}\n`,
      );
      return;
    }
    let accuracy: number | null = null;
    if (classifier && evalExamples.length > 0)
      accuracy = classifierAccuracy(
        classifier,
        evalExamples,
        tokenizer,
        training.batchSize,
        maxLength,
        prompt?.template,
      );
    let saved: string;
    if (adapted) {
      // PEFT's layout: the adapter's two files at the top of the run directory, beside the trainer's.
      await saveAdapter(adapted, outDirectory, { baseModelNameOrPath: initPath });
      saved = `adapter: ${outDirectory} (adapter_config.json, adapter_model.safetensors; base ${initPath})`;
      if (tokenizerFile)
        await writeFile(join(outDirectory, basename(tokenizerFile)), await readFile(tokenizerFile));
      if (classifier) {
        const labels = { labelNames, ...(prompt ? { prompt } : {}), maxLength };
        await writeAtomic(join(outDirectory, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
      }
    } else {
      const finalDirectory = join(outDirectory, 'model');
      await saveModel(model, finalDirectory, { format: 'hf' });
      if (tokenizerFile)
        await writeFile(join(finalDirectory, basename(tokenizerFile)), await readFile(tokenizerFile));
      if (classifier) {
        const state = await classifier.stateDict();
        await saveClassifierHead(finalDirectory, state.get('score.weight')!, {
          labelNames,
          prompt,
          maxLength,
        });
      }
      saved = `model: ${finalDirectory}`;
    }
    io.stdout.write(
      `finished at step ${result.step}${accuracy === null ? '' : `, validation accuracy ${accuracy.toFixed(4)} (${evalExamples.length} examples)`}\nmetrics: ${join(outDirectory, 'metrics.jsonl')}\n${saved}\n`,
    );
  } finally {
    process.off('SIGINT', interrupt);
    progress.stop();
    trainer.dispose();
    adapted?.dispose();
    classifier?.dispose();
    model.dispose();
  }
}

/** Examples in a seeded order that changes every epoch; the cursor (epoch, next example) makes resume exact. */
class ExampleSource<T> implements BatchSource {
  private epoch = 0;
  private index = 0;
  private order: T[];
  constructor(
    private readonly examples: readonly T[],
    private readonly batch: (rows: T[]) => TokenBatch,
    private readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (examples.length === 0) throw new CliError('the training set is empty');
    this.order = shuffle(examples, combineSeeds(seed, 0));
  }
  nextBatch(): TokenBatch {
    const rows: T[] = [];
    while (rows.length < this.batchSize) {
      if (this.index === this.order.length) this.setCursor({ epoch: this.epoch + 1, index: 0 });
      rows.push(this.order[this.index++]!);
    }
    return this.batch(rows);
  }
  getCursor() {
    return { epoch: this.epoch, index: this.index };
  }
  setCursor(cursor: unknown) {
    const { epoch, index } = cursor as { epoch: number; index: number };
    this.epoch = epoch;
    this.index = index;
    this.order = shuffle(this.examples, combineSeeds(this.seed, epoch));
  }
}

function toTokenBatch(batch: {
  ids: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
  batchSize: number;
  seqLen: number;
}): TokenBatch {
  return {
    inputs: batch.ids,
    targets: new Int32Array(batch.ids.length),
    labels: batch.labels,
    attentionMask: Uint8Array.from(batch.attentionMask),
    batchSize: batch.batchSize,
    seqLen: batch.seqLen,
  };
}

function classificationBatch(
  rows: ClassificationExample[],
  tokenizer: Tokenizer,
  maxLength: number,
  template: string | undefined,
): TokenBatch {
  const [batch] = [
    ...classificationBatches(rows, tokenizer, { batchSize: rows.length, maxLength, template }),
  ];
  return toTokenBatch(batch!);
}

interface PromptCompletion {
  prompt: string;
  completion: string;
}

async function readPromptCompletions(
  path: string,
  promptField: string,
  completionField: string,
): Promise<PromptCompletion[]> {
  const records = parseJsonl(await readFile(path, 'utf8'), path);
  return records.map(({ line, value }) => {
    const prompt = value[promptField];
    const completion = value[completionField];
    if (typeof prompt !== 'string' || typeof completion !== 'string') {
      throw new CliError(`${path}:${line}: needs string fields "${promptField}" and "${completionField}"`);
    }
    return { prompt, completion };
  });
}

/** BOS + prompt + completion + EOS, right-padded; only completion tokens (and EOS) are targets. */
export function promptCompletionBatch(
  rows: PromptCompletion[],
  tokenizer: Tokenizer,
  maxLength: number,
): TokenBatch {
  const sequences = rows.map(({ prompt, completion }) => {
    const promptIds = tokenizer.encode(prompt, { bos: true });
    const ids = [...promptIds, ...tokenizer.encode(completion, { eos: true })].slice(0, maxLength + 1);
    return { ids, promptLength: promptIds.length };
  });
  const seqLen = Math.max(...sequences.map((s) => s.ids.length - 1));
  const inputs = new Int32Array(rows.length * seqLen).fill(tokenizer.eosId);
  const targets = new Int32Array(rows.length * seqLen).fill(IGNORE_INDEX);
  const attentionMask = new Uint8Array(rows.length * seqLen);
  sequences.forEach(({ ids, promptLength }, row) => {
    for (let t = 0; t + 1 < ids.length; t++) {
      inputs[row * seqLen + t] = ids[t]!;
      attentionMask[row * seqLen + t] = 1;
      if (t + 1 >= promptLength) targets[row * seqLen + t] = ids[t + 1]!; // predicting a completion token
    }
  });
  return { inputs, targets, attentionMask, batchSize: rows.length, seqLen };
}

function classifierAccuracy(
  classifier: SequenceClassifier,
  examples: ClassificationExample[],
  tokenizer: Tokenizer,
  batchSize: number,
  maxLength: number,
  template: string | undefined,
): number {
  let correct = 0;
  for (const batch of classificationBatches(examples, tokenizer, { batchSize, maxLength, template })) {
    const rows = Array.from({ length: batch.batchSize }, (_, b) =>
      Array.from(batch.attentionMask.subarray(b * batch.seqLen, (b + 1) * batch.seqLen)),
    );
    const predicted = tf.tidy(() =>
      tf
        .argMax(classifier.logits(tf.tensor2d(batch.ids, [batch.batchSize, batch.seqLen], 'int32'), rows), 1)
        .dataSync(),
    );
    predicted.forEach((label, b) => {
      if (label === batch.labels[b]) correct++;
    });
  }
  return correct / examples.length;
}

export type { LlamaModel };
