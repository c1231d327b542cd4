import {
  configFromHfJson,
  hfJsonFromConfig,
  type LlamaModel,
  type NamedTensor,
  parseSafetensors,
  serializeSafetensors,
} from '@mini-llama/model';
import type { AdamWState, BatchSource, Trainer } from '@mini-llama/trainer';

/**
 * A checkpoint as the three files of @mini-llama/trainer/node's checkpoint directory (model.safetensors,
 * optimizer.safetensors, trainer-state.json), in the same layout, so the browser keeps them in IndexedDB
 * where Node keeps them on disk. The trainer's own save/load functions write files with node:fs, so this
 * example serialises with the pure parts they are built on (`serializeSafetensors`, `AdamW.getState`).
 */
export interface CheckpointFiles {
  step: number;
  'model.safetensors': Uint8Array;
  'optimizer.safetensors': Uint8Array;
  'trainer-state.json': string;
}

/** One point of the loss curve; saved with the checkpoint so a reload redraws the whole run. */
export interface LossPoint {
  step: number;
  loss: number;
}

const FORMAT = 'mini-llama-checkpoint';
const FORMAT_VERSION = 1;

/** Everything a run needs to continue exactly: weights, AdamW moments, step, data cursor, the curve so far. */
export async function checkpointFiles(
  trainer: Trainer<LlamaModel>,
  loader: BatchSource,
  history: readonly LossPoint[],
): Promise<CheckpointFiles> {
  const optimizer = await trainer.optimizer.getState();
  const moments = new Map<string, NamedTensor>();
  for (const [name, { m, v, shape }] of optimizer.moments) {
    moments.set(`exp_avg.${name}`, { shape, data: m });
    moments.set(`exp_avg_sq.${name}`, { shape, data: v });
  }
  const state = {
    format: FORMAT,
    version: FORMAT_VERSION,
    step: trainer.step,
    optimizerStep: optimizer.step,
    dtype: 'F32',
    model: hfJsonFromConfig(trainer.model.config),
    state: {
      trainer: { step: trainer.step, skippedSteps: trainer.skippedSteps, schedule: trainer.config.schedule },
      dataCursor: loader.getCursor(),
      metrics: history,
    },
  };
  return {
    step: trainer.step,
    'model.safetensors': serializeSafetensors(await trainer.model.stateDict(), { dtype: 'F32' }),
    'optimizer.safetensors': serializeSafetensors(moments, { dtype: 'F32' }),
    'trainer-state.json': `${JSON.stringify(state, null, 2)}\n`,
  };
}

/**
 * Loads a checkpoint into a trainer (weights, optimizer moments, step) and a loader (cursor); returns the
 * saved loss curve. Throws, naming the file, when the checkpoint is unreadable or made for another model.
 */
export function restoreCheckpoint(
  files: CheckpointFiles,
  trainer: Trainer<LlamaModel>,
  loader: BatchSource,
): LossPoint[] {
  let json: {
    format?: unknown;
    version?: unknown;
    step?: unknown;
    optimizerStep?: unknown;
    model?: unknown;
    state?: { trainer?: { skippedSteps?: number }; dataCursor?: unknown; metrics?: LossPoint[] };
  };
  try {
    json = JSON.parse(files['trainer-state.json']);
  } catch (error) {
    throw new Error(`trainer-state.json: invalid JSON (${(error as Error).message})`);
  }
  if (json.format !== FORMAT || json.version !== FORMAT_VERSION) {
    throw new Error(`trainer-state.json: not a ${FORMAT} of version ${FORMAT_VERSION}`);
  }
  if (!Number.isInteger(json.step) || !Number.isInteger(json.optimizerStep)) {
    throw new Error('trainer-state.json: step and optimizerStep must be integers');
  }
  const saved = configFromHfJson(json.model, 'trainer-state.json (model)');
  const ours = trainer.model.config;
  const mismatched = (Object.keys(ours) as (keyof typeof ours)[]).filter(
    (key) => key !== 'multipleOf' && ours[key] !== saved[key],
  );
  if (mismatched.length > 0) {
    throw new Error(
      `the checkpoint was made for another model (${mismatched.map((key) => `${key} ${saved[key]} ≠ ${ours[key]}`).join(', ')})`,
    );
  }
  const weights = parseSafetensors(files['model.safetensors'], 'model.safetensors').tensors;
  const moments: AdamWState['moments'] = new Map();
  for (const [key, tensor] of parseSafetensors(files['optimizer.safetensors'], 'optimizer.safetensors')
    .tensors) {
    const match = /^(exp_avg|exp_avg_sq)\.(.+)$/.exec(key);
    if (!match) throw new Error(`optimizer.safetensors: unexpected tensor ${key}`);
    const empty = new Float32Array(0);
    const entry = moments.get(match[2]!) ?? { m: empty, v: empty, shape: tensor.shape };
    if (match[1] === 'exp_avg') entry.m = tensor.data;
    else entry.v = tensor.data;
    moments.set(match[2]!, entry);
  }
  for (const [name, { m, v }] of moments) {
    if (m.length === 0 || v.length === 0) {
      throw new Error(`optimizer.safetensors: ${name} lacks exp_avg or exp_avg_sq`);
    }
  }
  trainer.model.loadStateDict(weights, 'model.safetensors');
  trainer.optimizer.setState({ step: json.optimizerStep as number, moments }, 'optimizer.safetensors');
  trainer.step = json.step as number;
  trainer.skippedSteps = json.state?.trainer?.skippedSteps ?? 0;
  if (json.state?.dataCursor !== undefined) loader.setCursor(json.state.dataCursor);
  return json.state?.metrics ?? [];
}
