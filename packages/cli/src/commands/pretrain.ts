import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import {
  assignSplit,
  checkTokenizerMatchesModel,
  encodeDocument,
  InMemoryTokenSource,
  MANIFEST_FILE,
  type TokenSource,
  WindowLoader,
} from '@mini-llama/data';
import { readDocuments, ShardedTokenSource } from '@mini-llama/data/node';
import { writeAtomic } from '@mini-llama/formats/node';
import { type LlamaConfig, LlamaModel, presetConfig, resolveConfig } from '@mini-llama/model';
import { loadModel, saveModel } from '@mini-llama/model/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import {
  parseRunConfig,
  type RunConfig,
  type RunConfigInput,
  Trainer,
  trainerConfigFromRun,
} from '@mini-llama/trainer';
import { latestCheckpoint, resumeTraining, runTraining } from '@mini-llama/trainer/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { StepProgress } from '../step-progress.js';
import { openTokenizer } from '../tokenizer-files.js';
import { addTrainingOptions, runConfigFromFlags, type TrainingFlags } from './training-options.js';

export function addPretrainCommand(program: Command, io: CliIo): void {
  const command = program
    .command('pretrain')
    .description('Pretrain a Llama on text files or prepared shards (next-token prediction).');
  addTrainingOptions(command);
  command.action((flags: TrainingFlags) => runPretrain(flags, io));
}

async function runPretrain(flags: TrainingFlags, io: CliIo): Promise<void> {
  const resumeDirectory = flags.resume ? resolve(io.cwd, flags.resume) : undefined;
  const base = resumeDirectory
    ? (JSON.parse(
        await readFile(join(resumeDirectory, 'run-config.json'), 'utf8').catch(() => {
          throw new CliError(
            `--resume: ${join(resumeDirectory, 'run-config.json')} not found: is this a run directory?`,
          );
        }),
      ) as RunConfigInput)
    : flags.configFile
      ? await readConfigFile(resolve(io.cwd, flags.configFile))
      : undefined;
  const config = parseRunConfig(runConfigFromFlags(flags, base), flags.configFile ?? 'run configuration');
  const outDirectory = resumeDirectory ?? (flags.out ? resolve(io.cwd, flags.out) : undefined);
  if (!outDirectory) throw new CliError('--out DIR is required (or --resume DIR)');
  await startBackend(config.backend as BackendRequest, io);

  const data = await openData(config, io);
  const model = await buildModel(config, data.vocabSize, io);
  if (data.tokenizer)
    checkTokenizerMatchesModel(data.tokenizer, model.config.vocabSize, data.tokenizerName ?? undefined);
  const seqLen = config.training.seqLen ?? model.config.maxSeqLen;
  if (seqLen > model.config.maxSeqLen) {
    throw new CliError(`--seq-len ${seqLen} exceeds the model's context length ${model.config.maxSeqLen}`);
  }
  const { training } = config;
  const train = new WindowLoader(data.train, {
    batchSize: training.batchSize,
    seqLen,
    order: config.data.order,
    seed: training.seed,
  });
  const validation = data.validation
    ? validationBatches(data.validation, training.batchSize, seqLen, training.evalBatches)
    : undefined;
  const trainer = new Trainer(model, trainerConfigFromRun(training, { evaluate: Boolean(validation) }));
  await mkdir(outDirectory, { recursive: true });
  if (resumeDirectory) {
    const checkpoint = await latestCheckpoint(resumeDirectory);
    if (!checkpoint) throw new CliError(`--resume: no checkpoint in ${resumeDirectory}`);
    await resumeTraining(trainer, train, checkpoint, resumeDirectory);
    io.stderr.write(`resumed from ${checkpoint} at step ${trainer.step}\n`);
  }
  const resolved = { ...config, model: { ...config.model, ...model.config } };
  await writeAtomic(join(outDirectory, 'run-config.json'), `${JSON.stringify(resolved, null, 2)}\n`);
  io.stderr.write(
    `pretrain: ${model.parameterCount().toLocaleString('en-US')} parameters, ${data.train.length.toLocaleString('en-US')} training tokens, ${training.steps} steps of ${training.batchSize * training.gradAccum} × ${seqLen} tokens → ${outDirectory}\n`,
  );

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
      train,
      validation,
      checkpointEvery: training.checkpointEvery,
      keepLast: training.keepLast,
      logEvery: training.logEvery,
      dtype: training.checkpointDtype.toUpperCase() as 'F32' | 'F16' | 'BF16',
      runState: { runConfig: resolved, tokenizer: data.tokenizerName ?? null },
      signal: controller.signal,
    });
    progress.stop();
    const finalDirectory = join(outDirectory, 'model');
    await saveModel(model, finalDirectory, { format: 'hf' });
    if (data.tokenizerFile)
      await copyFile(data.tokenizerFile, join(finalDirectory, basename(data.tokenizerFile)));
    io.stdout.write(
      `${result.stopped ? 'stopped' : 'finished'} at step ${result.step}${result.bestValLoss === null ? '' : `, best validation loss ${result.bestValLoss.toFixed(4)}`}\n` +
        `metrics: ${join(outDirectory, 'metrics.jsonl')}\nmodel: ${finalDirectory}\n` +
        (result.stopped ? `resume with: mini-llama pretrain --resume ${outDirectory}\n` : ''),
    );
  } finally {
    process.off('SIGINT', interrupt);
    progress.stop();
    trainer.dispose();
    model.dispose();
    await data.close();
  }
}

interface OpenedData {
  train: TokenSource;
  validation: TokenSource | null;
  vocabSize: number | null;
  tokenizer: Tokenizer | null;
  tokenizerName: string | null;
  tokenizerFile: string | null;
  close(): Promise<void>;
}

/** Prepared shards (a directory with manifest.json) are streamed; text files are tokenised into memory. */
async function openData(config: RunConfig, io: CliIo): Promise<OpenedData> {
  const paths = config.data.train.map((path) => resolve(io.cwd, path));
  const isShards = await Promise.all(paths.map((path) => isShardDirectory(path)));
  const tokenizerPath = config.data.tokenizer;
  const opened = tokenizerPath ? await openTokenizer(tokenizerPath, io.cwd) : null;
  const tokenizer = opened?.tokenizer ?? null;
  const tokenizerFile = opened?.file ?? null;
  if (isShards.some(Boolean)) {
    if (paths.length !== 1 || !isShards[0]) {
      throw new CliError('--data: give one prepared shard directory, or text files (not both)');
    }
    const train = await ShardedTokenSource.open(paths[0]!, { split: 'train' });
    const validation = await ShardedTokenSource.open(paths[0]!, { split: 'val' }).catch(() => null);
    return {
      train,
      validation: validation && validation.length > 0 ? validation : null,
      vocabSize: train.manifest.vocabSize,
      tokenizer,
      tokenizerName: tokenizerPath ?? String(train.manifest.tokenizer?.name ?? ''),
      tokenizerFile,
      close: async () => {
        await train.close();
        await validation?.close();
      },
    };
  }
  if (!tokenizer) {
    throw new CliError('--data with text files needs --tokenizer PATH (a tokenizer file, llama2, or bytes)');
  }
  const split = { train: [] as number[], val: [] as number[] };
  for (const path of paths) {
    for await (const text of readDocuments(path)) {
      split[assignSplit(text, { valFraction: config.data.valFraction, seed: config.training.seed })].push(
        ...encodeDocument(tokenizer, text),
      );
    }
  }
  return {
    train: new InMemoryTokenSource(Int32Array.from(split.train)),
    validation: split.val.length > 0 ? new InMemoryTokenSource(Int32Array.from(split.val)) : null,
    vocabSize: tokenizer.vocabSize,
    tokenizer,
    tokenizerName: tokenizerPath ?? null,
    tokenizerFile,
    close: async () => {},
  };
}

/** A fresh model from the preset and shape flags, or the weights of --init. */
async function buildModel(config: RunConfig, dataVocabSize: number | null, io: CliIo): Promise<LlamaModel> {
  const { preset, init, ...shape } = config.model;
  const explicit = Object.fromEntries(
    Object.entries(shape).filter(([, value]) => value !== undefined),
  ) as Partial<LlamaConfig>;
  if (init) {
    const { model } = await loadModel(resolve(io.cwd, init));
    const conflicts = (Object.keys(explicit) as (keyof LlamaConfig)[]).filter(
      (key) => explicit[key] !== model.config[key],
    );
    if (conflicts.length > 0) {
      model.dispose();
      throw new CliError(
        `--init ${init}: its ${conflicts.map((k) => `${k} is ${model.config[k]}, not ${explicit[k]}`).join(', ')}`,
      );
    }
    return model;
  }
  const vocabSize = explicit.vocabSize ?? dataVocabSize ?? undefined;
  const withVocab: Partial<LlamaConfig> =
    vocabSize === undefined ? { ...explicit } : { ...explicit, vocabSize };
  // A model made from flags gets the training length as its context unless the shape says otherwise.
  if (!preset && withVocab.maxSeqLen === undefined && config.training.seqLen)
    withVocab.maxSeqLen = config.training.seqLen;
  let modelConfig: LlamaConfig;
  if (preset) modelConfig = presetConfig(preset, withVocab);
  else {
    const missing = (['dim', 'nLayers', 'nHeads', 'vocabSize', 'maxSeqLen'] as const).filter(
      (key) => withVocab[key] === undefined,
    );
    if (missing.length > 0) {
      throw new CliError(
        `give --config PRESET, or the model shape: missing ${missing.map(flagOf).join(', ')}`,
      );
    }
    modelConfig = resolveConfig(withVocab as LlamaConfig);
  }
  return new LlamaModel(modelConfig, { seed: config.training.seed });
}

function flagOf(key: string): string {
  return (
    {
      dim: '--dim',
      nLayers: '--layers',
      nHeads: '--heads',
      vocabSize: '--vocab-size',
      maxSeqLen: '--seq-len',
    }[key] ?? key
  );
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

async function isShardDirectory(path: string): Promise<boolean> {
  return stat(join(path, MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
}

async function readConfigFile(path: string): Promise<RunConfigInput> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new CliError(`--config-file ${path}: ${error.message}`);
  });
  try {
    return JSON.parse(text) as RunConfigInput;
  } catch (error) {
    throw new CliError(`--config-file ${path}: invalid JSON (${(error as Error).message})`);
  }
}
