import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  configFromHfJson,
  hfJsonFromConfig,
  type LlamaConfig,
  type NamedTensor,
  parseSafetensors,
  type StateDict,
  type StorageDtype,
  serializeSafetensors,
} from '@mini-llama/model';
import type { AdamWState } from '../adamw.js';

/** Everything a run needs to continue exactly where it stopped. */
export interface Checkpoint {
  step: number;
  config: LlamaConfig;
  /** Model weights in the shared state-dict layout (HF names, PyTorch shapes). */
  weights: StateDict;
  optimizer: AdamWState;
  /** The rest, as JSON: schedule, RNG state, data cursor, tokenizer reference, metrics so far, … */
  state: Record<string, unknown>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const FORMAT_VERSION = 1;
const PREFIX = 'checkpoint-';

/** The directory name of the checkpoint at a step: checkpoint-000123 (sorts by step). */
export function checkpointName(step: number): string {
  return `${PREFIX}${String(step).padStart(6, '0')}`;
}

/**
 * Writes a checkpoint directory atomically: every file is written and fsynced inside a temporary directory,
 * which is then renamed to its final name, so a crash at any point leaves either the complete checkpoint
 * or none (and never touches an existing one). Weights and optimizer moments go to safetensors (F32 unless
 * asked: F16/BF16 halve the files but lose precision — the moments especially), the rest to JSON.
 */
export async function saveCheckpoint(
  runDirectory: string,
  checkpoint: Checkpoint,
  { dtype = 'F32' }: { dtype?: StorageDtype } = {},
): Promise<string> {
  const finalPath = join(runDirectory, checkpointName(checkpoint.step));
  if (await exists(finalPath)) {
    throw new CheckpointError(
      `${finalPath}: a checkpoint for step ${checkpoint.step} already exists; not overwriting it`,
    );
  }
  await mkdir(runDirectory, { recursive: true });
  const temporary = join(
    runDirectory,
    `.${checkpointName(checkpoint.step)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  await mkdir(temporary);
  try {
    await writeSynced(
      join(temporary, 'model.safetensors'),
      serializeSafetensors(checkpoint.weights, { dtype }),
    );
    const moments = new Map<string, NamedTensor>();
    for (const [name, { m, v, shape }] of checkpoint.optimizer.moments) {
      moments.set(`exp_avg.${name}`, { shape, data: m });
      moments.set(`exp_avg_sq.${name}`, { shape, data: v });
    }
    await writeSynced(join(temporary, 'optimizer.safetensors'), serializeSafetensors(moments, { dtype }));
    const json = {
      format: 'mini-llama-checkpoint',
      version: FORMAT_VERSION,
      step: checkpoint.step,
      optimizerStep: checkpoint.optimizer.step,
      dtype,
      model: hfJsonFromConfig(checkpoint.config),
      state: checkpoint.state,
    };
    await writeSynced(
      join(temporary, 'trainer-state.json'),
      new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`),
    );
    await syncDirectory(temporary);
    await rename(temporary, finalPath);
    await syncDirectory(runDirectory);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return finalPath;
}

/** Reads a checkpoint directory; any missing, corrupt or inconsistent part is an error naming the file. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const statePath = join(path, 'trainer-state.json');
  const text = await readFile(statePath, 'utf8').catch((error: Error) => {
    throw new CheckpointError(
      `${statePath}: cannot read (${error.message}); is ${path} a checkpoint directory?`,
    );
  });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(`${statePath}: invalid JSON (${(error as Error).message})`);
  }
  if (json.format !== 'mini-llama-checkpoint' || json.version !== FORMAT_VERSION) {
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
  const modelPath = join(path, 'model.safetensors');
  const optimizerPath = join(path, 'optimizer.safetensors');
  const weights = parseSafetensors(await readBytes(modelPath), modelPath).tensors;
  const momentTensors = parseSafetensors(await readBytes(optimizerPath), optimizerPath).tensors;
  const moments: AdamWState['moments'] = new Map();
  for (const [key, tensor] of momentTensors) {
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

/** Checkpoint directories of a run, oldest first. Temporary (unfinished) directories are not listed. */
export async function listCheckpoints(runDirectory: string): Promise<{ step: number; path: string }[]> {
  const entries = await readdir(runDirectory).catch(() => [] as string[]);
  return entries
    .filter((name) => /^checkpoint-\d+$/.test(name))
    .map((name) => ({ step: Number(name.slice(PREFIX.length)), path: join(runDirectory, name) }))
    .sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint of a run, or null. */
export async function latestCheckpoint(runDirectory: string): Promise<string | null> {
  return (await listCheckpoints(runDirectory)).at(-1)?.path ?? null;
}

/** Deletes all but the last `keepLast` checkpoints and the ones named in `keep` (the best). */
export async function pruneCheckpoints(
  runDirectory: string,
  keepLast: number,
  keep: string[] = [],
): Promise<void> {
  const all = await listCheckpoints(runDirectory);
  const survivors = new Set([...all.slice(Math.max(0, all.length - keepLast)).map((c) => c.path), ...keep]);
  for (const { path } of all) if (!survivors.has(path)) await rm(path, { recursive: true, force: true });
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CheckpointError(`${path}: cannot read (${(error as Error).message})`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
