// `pretrain`: next-token prediction on a corpus, from a run configuration to trained weights, in a run
// directory that a stopped run resumes from exactly (see ../../../../docs/training.md).
import { join, resolve } from 'node:path';
import { checkTokenizerMatchesModel, type TokenSource, WindowLoader } from '@mini-llama/data';
import { saveModel } from '@mini-llama/model/node';
import { copyTokenizerTo } from '@mini-llama/tokenizer/node';
import {
  type RunConfig,
  type RunConfigInput,
  type RunConfigOverrides,
  trainerConfigFromRun,
} from '../run-config.js';
import { Trainer } from '../trainer.js';
import { modelFromRunConfig } from './model-from-config.js';
import { openPretrainingData } from './pretraining-data.js';
import { writeRunConfig } from './run-directory.js';
import { runTraining } from './run-training.js';
import {
  type RunEvents,
  type RunStartOptions,
  resumeFromLatest,
  type TrainingRunResult,
  withRun,
} from './training-run.js';

export interface PretrainOptions extends RunStartOptions {
  /** A fresh run's whole configuration (relative paths are taken from `cwd`). */
  config?: RunConfigInput;
}

/** Pretrains (or continues pretraining) a model; see PretrainOptions and RunEvents. */
export async function pretrain(options: PretrainOptions, events: RunEvents = {}): Promise<TrainingRunResult> {
  return withRun(options, events, absolutePaths, (directory, config, resuming) =>
    pretrainIn(directory, config, resuming, options.signal, events),
  );
}

async function pretrainIn(
  directory: string,
  config: RunConfig,
  resuming: boolean,
  signal: AbortSignal | undefined,
  events: RunEvents,
): Promise<TrainingRunResult> {
  const say = events.onMessage ?? (() => {});
  const data = await openPretrainingData(config, directory, say);
  const model = await modelFromRunConfig(config, data.vocabSize).catch(async (error: unknown) => {
    await data.close();
    throw error;
  });
  let trainer: Trainer | null = null;
  try {
    if (data.tokenizer)
      checkTokenizerMatchesModel(data.tokenizer, model.config.vocabSize, data.tokenizerName ?? undefined);
    const { training } = config;
    const seqLen = training.seqLen ?? model.config.maxSeqLen;
    if (seqLen > model.config.maxSeqLen) {
      throw new Error(`--seq-len ${seqLen} exceeds the model's context length ${model.config.maxSeqLen}`);
    }
    const train = new WindowLoader(data.train, {
      batchSize: training.batchSize,
      seqLen,
      order: config.data.order,
      seed: training.seed,
    });
    const validation = data.validation
      ? validationBatches(data.validation, training.batchSize, seqLen, training.evalBatches)
      : undefined;
    if (training.evalEvery > 0 && !validation) {
      say('no validation data: --eval-every is ignored (the corpus put no document in the validation split)');
    }
    trainer = new Trainer(model, trainerConfigFromRun(training, { evaluate: Boolean(validation) }));
    if (events.onEvent) trainer.on(events.onEvent);
    if (resuming) await resumeFromLatest(trainer, train, directory, say);
    const recorded: RunConfig = { ...config, model: { ...config.model, ...model.config } };
    await writeRunConfig(directory, recorded);
    const parameters = model.parameterCount();
    events.onStart?.({
      directory,
      config: recorded,
      parameters,
      trainable: parameters,
      steps: training.steps,
      fromStep: trainer.step,
      summary: `${parameters.toLocaleString('en-US')} parameters, ${data.train.length.toLocaleString('en-US')} training tokens, ${training.steps} steps of ${training.batchSize * training.gradAccum} × ${seqLen} tokens → ${directory}`,
    });
    const result = await runTraining({
      runDirectory: directory,
      trainer,
      train,
      validation,
      checkpointEvery: training.checkpointEvery,
      keepLast: training.keepLast,
      logEvery: training.logEvery,
      dtype: training.checkpointDtype.toUpperCase() as 'F32' | 'F16' | 'BF16',
      runState: { runConfig: recorded, tokenizer: data.tokenizerName },
      signal,
    });
    let saved: string | null = null;
    if (!result.stopped) {
      saved = join(directory, 'model');
      await saveModel(model, saved, { format: 'hf' });
      if (data.tokenizerFile) await copyTokenizerTo(data.tokenizerFile, saved);
    }
    return {
      directory,
      step: result.step,
      stopped: result.stopped,
      bestValLoss: result.bestValLoss,
      metrics: join(directory, 'metrics.jsonl'),
      saved,
    };
  } finally {
    trainer?.dispose();
    model.dispose();
    await data.close();
  }
}

/** The first `count` batches of the validation split, the same ones at every evaluation. */
function validationBatches(tokens: TokenSource, batchSize: number, seqLen: number, count: number) {
  return async function* () {
    const loader = new WindowLoader(tokens, {
      batchSize: Math.min(batchSize, Math.max(1, Math.floor((tokens.length - 1) / seqLen))),
      seqLen,
      order: 'sequential',
    });
    const batches = Math.min(count, Math.max(1, loader.batchesPerEpoch));
    for (let i = 0; i < batches; i++) yield await loader.next();
  };
}

/** A configuration with its file paths made absolute (from `cwd`), as a run records them. */
export function absolutePaths<T extends RunConfigOverrides>(config: T, cwd: string): T {
  const path = (value: string | undefined) => (value === undefined ? undefined : resolve(cwd, value));
  const tokenizer = config.data?.tokenizer;
  return {
    ...config,
    ...(config.model ? { model: { ...config.model, init: path(config.model.init) } } : {}),
    ...(config.data
      ? {
          data: {
            ...config.data,
            train: config.data.train?.map((file) => resolve(cwd, file)),
            validation: config.data.validation?.map((file) => resolve(cwd, file)),
            tokenizer:
              tokenizer === undefined || tokenizer === 'bytes' || tokenizer === 'llama2'
                ? tokenizer
                : path(tokenizer),
          },
        }
      : {}),
  };
}
