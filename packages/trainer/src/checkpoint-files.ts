import {
  configFromHfJson,
  hfJsonFromConfig,
  parseSafetensors,
  serializeSafetensors,
} from '@mini-llama/formats';
import type { LlamaConfig, NamedTensor, StateDict, StorageDtype } from '@mini-llama/model';
import type { AdamWState } from './adamw.js';
import type { BatchSource } from './batch-source.js';
import type { TrainableModel, Trainer } from './trainer.js';

// A checkpoint as bytes, with no file system: @mini-llama/trainer/node writes these three files into a
// checkpoint directory (atomically); a browser keeps them in IndexedDB or OPFS. Same layout everywhere, so a
// checkpoint made in a browser resumes in Node and the other way round.

/** Everything a run needs to continue exactly where it stopped. */
export interface Checkpoint {
  step: number;
  config: LlamaConfig;
  /** Model weights in the shared state-dict layout (HF names, PyTorch shapes). */
  weights: StateDict;
  optimizer: AdamWState;
  /** The rest, as JSON: schedule, data cursor, the model's training state, tokenizer reference, metrics, … */
  state: Record<string, unknown>;
}

/** The files of a checkpoint directory, by name. */
export type CheckpointFiles = {
  'model.safetensors': Uint8Array;
  'optimizer.safetensors': Uint8Array;
  'trainer-state.json': string;
};

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const FORMAT = 'mini-llama-checkpoint';
const FORMAT_VERSION = 1;

/**
 * A checkpoint's files: weights and optimizer moments as safetensors (F32 unless asked: F16/BF16 halve them but
 * lose precision, the moments especially), the rest as JSON.
 */
export function serializeCheckpoint(
  checkpoint: Checkpoint,
  { dtype = 'F32' }: { dtype?: StorageDtype } = {},
): CheckpointFiles {
  const moments = new Map<string, NamedTensor>();
  for (const [name, { m, v, shape }] of checkpoint.optimizer.moments) {
    moments.set(`exp_avg.${name}`, { shape, data: m });
    moments.set(`exp_avg_sq.${name}`, { shape, data: v });
  }
  const json = {
    format: FORMAT,
    version: FORMAT_VERSION,
    step: checkpoint.step,
    optimizerStep: checkpoint.optimizer.step,
    dtype,
    model: hfJsonFromConfig(checkpoint.config),
    state: checkpoint.state,
  };
  return {
    'model.safetensors': serializeSafetensors(checkpoint.weights, { dtype }),
    'optimizer.safetensors': serializeSafetensors(moments, { dtype }),
    'trainer-state.json': `${JSON.stringify(json, null, 2)}\n`,
  };
}

/**
 * Reads a checkpoint's files; anything missing, corrupt or inconsistent is a CheckpointError naming the file
 * (as `${location}/${name}`, where `location` says where the files came from: a directory, a store key).
 */
export function parseCheckpoint(files: CheckpointFiles, location = 'checkpoint'): Checkpoint {
  const statePath = `${location}/trainer-state.json`;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(files['trainer-state.json']) as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(`${statePath}: invalid JSON (${(error as Error).message})`);
  }
  if (json.format !== FORMAT || json.version !== FORMAT_VERSION) {
    throw new CheckpointError(
      `${statePath}: not a mini-llama checkpoint of format version ${FORMAT_VERSION}`,
    );
  }
  for (const field of ['step', 'optimizerStep'] as const) {
    if (!Number.isInteger(json[field]) || (json[field] as number) < 0) {
      throw new CheckpointError(
        `${statePath}: ${field} must be an integer ≥ 0, got ${JSON.stringify(json[field])}`,
      );
    }
  }
  if (typeof json.state !== 'object' || json.state === null) {
    throw new CheckpointError(`${statePath}: state must be an object`);
  }
  const config = configFromHfJson(json.model, `${statePath} (model)`);
  const modelPath = `${location}/model.safetensors`;
  const optimizerPath = `${location}/optimizer.safetensors`;
  const weights = parseSafetensors(files['model.safetensors'], modelPath).tensors;
  const moments: AdamWState['moments'] = new Map();
  for (const [key, tensor] of parseSafetensors(files['optimizer.safetensors'], optimizerPath).tensors) {
    const match = /^(exp_avg|exp_avg_sq)\.(.+)$/.exec(key);
    if (!match) throw new CheckpointError(`${optimizerPath}: unexpected tensor ${key}`);
    const name = match[2]!;
    const entry = moments.get(name) ?? {
      m: new Float32Array(0),
      v: new Float32Array(0),
      shape: tensor.shape,
    };
    if (match[1] === 'exp_avg') entry.m = tensor.data;
    else entry.v = tensor.data;
    moments.set(name, entry);
  }
  for (const [name, entry] of moments) {
    if (entry.m.length === 0 || entry.v.length === 0) {
      throw new CheckpointError(`${optimizerPath}: ${name} lacks exp_avg or exp_avg_sq`);
    }
  }
  return {
    step: json.step as number,
    config,
    weights,
    optimizer: { step: json.optimizerStep as number, moments },
    state: json.state as Record<string, unknown>,
  };
}

/**
 * A checkpoint of a training run now: the model's weights and training state (a LoRA model's dropout
 * generator), the optimizer's moments, the step and best validation loss, the batch source's cursor, and
 * `runState` (the run configuration, metrics so far, …).
 */
export async function snapshotTraining<M extends TrainableModel>(
  trainer: Trainer<M>,
  train: BatchSource,
  runState: Record<string, unknown> = {},
): Promise<Checkpoint> {
  return {
    step: trainer.step,
    config: trainer.model.config,
    weights: await trainer.model.stateDict(),
    optimizer: await trainer.optimizer.getState(),
    state: {
      ...runState,
      trainer: {
        step: trainer.step,
        bestValLoss: Number.isFinite(trainer.bestValLoss) ? trainer.bestValLoss : null,
        skippedSteps: trainer.skippedSteps,
        schedule: trainer.config.schedule,
      },
      dataCursor: train.getCursor(),
      ...(trainer.model.trainingState ? { model: trainer.model.trainingState() } : {}),
    },
  };
}

/**
 * Puts a trainer and its batch source back where `snapshotTraining` found them, so the next steps are the ones
 * the uninterrupted run would have taken. A checkpoint of another model shape is a CheckpointError naming
 * `location`.
 */
export function restoreTraining<M extends TrainableModel>(
  trainer: Trainer<M>,
  train: BatchSource,
  checkpoint: Checkpoint,
  location = 'checkpoint',
): void {
  const ours = trainer.model.config;
  const mismatched = (Object.keys(ours) as (keyof typeof ours)[]).filter(
    (key) => key !== 'multipleOf' && JSON.stringify(ours[key]) !== JSON.stringify(checkpoint.config[key]),
  );
  if (mismatched.length > 0) {
    const show = (value: unknown) => (typeof value === 'object' ? JSON.stringify(value) : String(value));
    throw new CheckpointError(
      `${location}: made for another model (${mismatched.map((key) => `${key} ${show(checkpoint.config[key])} ≠ ${show(ours[key])}`).join(', ')})`,
    );
  }
  trainer.model.loadStateDict(checkpoint.weights, `${location}/model.safetensors`);
  trainer.optimizer.setState(checkpoint.optimizer, `${location}/optimizer.safetensors`);
  const state = checkpoint.state as {
    trainer?: { bestValLoss?: number | null; skippedSteps?: number };
    dataCursor?: unknown;
    model?: Record<string, unknown>;
  };
  // The model's own training state; checkpoints written before models had one lack it, and resume with the
  // model's generator where it starts.
  if (trainer.model.restoreTrainingState && state.model !== undefined) {
    trainer.model.restoreTrainingState(state.model, `${location}/trainer-state.json`);
  }
  trainer.step = checkpoint.step;
  trainer.bestValLoss = state.trainer?.bestValLoss ?? Number.POSITIVE_INFINITY;
  trainer.skippedSteps = state.trainer?.skippedSteps ?? 0;
  if (state.dataCursor !== undefined) train.setCursor(state.dataCursor);
}
