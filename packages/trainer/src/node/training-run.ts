// What pretraining and fine-tuning runs share: the run directory (its lock, a fresh run's check, the leftovers
// of interrupted writes), a resumed run's configuration and checkpoint, the events a caller follows a run by.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BatchSource } from '../batch-source.js';
import {
  mergeRunConfig,
  parseRunConfig,
  type RunConfig,
  type RunConfigOverrides,
  runConfigChanges,
} from '../run-config.js';
import type { TrainableModel, Trainer, TrainerEvent } from '../trainer.js';
import { latestIntactCheckpoint } from './checkpoint.js';
import {
  assertNoRunIn,
  lockRunDirectory,
  RUN_CONFIG_FILE,
  readRunConfig,
  removeTemporaries,
} from './run-directory.js';
import { resumeTraining, trimMetrics } from './run-training.js';

/** How a caller follows a run. */
export interface RunEvents {
  /** A one-line note for the person running it: resumed from…, a setting changed, a stale lock removed. */
  onMessage?: (message: string) => void;
  /** Once the run is set up, before its first step. */
  onStart?: (start: RunStart) => void;
  /** Every step, evaluation and checkpoint. */
  onEvent?: (event: TrainerEvent) => void;
}

export interface RunStart {
  directory: string;
  config: RunConfig;
  /** Parameters of the model, and how many of them train (fewer with LoRA). */
  parameters: number;
  trainable: number;
  steps: number;
  /** The step it starts after: 0, or the checkpoint's step when resumed. */
  fromStep: number;
  /** The run in one line: what it trains on, how many steps of what batch. */
  summary: string;
}

/** What a finished (or stopped) run left. */
export interface TrainingRunResult {
  directory: string;
  step: number;
  /** Stopped early by the caller's signal, with a checkpoint to resume from. */
  stopped: boolean;
  bestValLoss: number | null;
  metrics: string;
  /** The trained weights (an HF directory), or the adapter's directory for LoRA; null when stopped. */
  saved: string | null;
}

/**
 * The run directory, locked for this run: created if needed, cleared of what interrupted writes left, and
 * for a fresh run checked to hold no run yet. Returns the release of the lock.
 */
export async function openRunDirectory(
  directory: string,
  resuming: boolean,
  say: (message: string) => void,
): Promise<() => Promise<void>> {
  if (resuming && !(await stat(join(directory, RUN_CONFIG_FILE)).catch(() => null))) {
    throw new Error(`--resume: ${join(directory, RUN_CONFIG_FILE)} not found: is this a run directory?`);
  }
  await mkdir(directory, { recursive: true });
  const release = await lockRunDirectory(directory, say);
  try {
    const removed = await removeTemporaries(directory);
    if (removed.length > 0) say(`removed what an interrupted write left: ${removed.join(', ')}`);
    if (!resuming) await assertNoRunIn(directory);
    return release;
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * The configuration a resumed run continues with: the recorded one with `overrides` on top. A change that
 * keeps the resumed steps those of the interrupted run (more steps, logging, checkpoints, backend) is made
 * and said; any other is refused, naming the field and both values.
 */
export async function resumedRunConfig(
  directory: string,
  overrides: RunConfigOverrides,
  say: (message: string) => void,
): Promise<RunConfig> {
  const recorded = await readRunConfig(directory);
  const requested = parseRunConfig(mergeRunConfig(recorded, overrides), 'the resumed run configuration');
  const changes = runConfigChanges(recorded, requested);
  const refused = changes.filter((change) => !change.safe);
  const show = (value: unknown) => (value === undefined ? '(unset)' : JSON.stringify(value));
  if (refused.length > 0) {
    throw new Error(
      `--resume ${directory}: the resumed run would not continue the recorded one exactly: ${refused
        .map((change) => `${change.field} was ${show(change.from)}, now ${show(change.to)}`)
        .join('; ')}. Resume without these changes, or start a new run in another directory`,
    );
  }
  for (const change of changes) {
    const note = change.field === 'training.steps' ? ' (the schedule now runs over the new total)' : '';
    say(`resume: ${change.field} changed from ${show(change.from)} to ${show(change.to)}${note}`);
  }
  return requested;
}

/**
 * Restores the trainer and the batch source from the newest checkpoint that loads and verifies; newer ones
 * that do not (corrupted, truncated) are passed over with a message each and moved aside (`.damaged`), since
 * the run will write their steps again. A run with no checkpoint yet starts again from step 0 (exactly as it
 * started: the configuration and seeds are recorded). Throws when checkpoints exist and none loads, and then
 * moves nothing.
 */
export async function resumeFromLatest<M extends TrainableModel>(
  trainer: Trainer<M>,
  source: BatchSource,
  directory: string,
  say: (message: string) => void,
): Promise<void> {
  const { found, skipped } = await latestIntactCheckpoint(directory);
  for (const { path, reason } of skipped) say(`resume: passing over ${path}: ${reason}`);
  if (!found && skipped.length === 0) {
    // Stopped before its first checkpoint: the recorded configuration and seeds make step 0 the same as then.
    await trimMetrics(join(directory, 'metrics.jsonl'), 0);
    await rm(join(directory, 'best.json'), { force: true });
    say(`resume: ${directory} has no checkpoint yet: starting again from step 0`);
    return;
  }
  if (!found) {
    throw new Error(
      `--resume: no checkpoint in ${directory} loads (see above); the run cannot continue (delete its checkpoint directories to start again from step 0)`,
    );
  }
  // The run will write these steps again: what failed to load is kept for a look, under a name no resume lists.
  for (const { path } of skipped) {
    const aside = `${path}${DAMAGED_SUFFIX}`;
    await rm(aside, { recursive: true, force: true });
    await rename(path, aside);
    say(`resume: moved ${basename(path)} aside to ${basename(aside)}`);
  }
  await resumeTraining(trainer, source, found.path, directory, found.checkpoint);
  say(`resumed from ${found.path} at step ${trainer.step}`);
}

/** What a checkpoint that failed verification is renamed to when a resume passes over it. */
export const DAMAGED_SUFFIX = '.damaged';

/** What starts a run: a fresh one's configuration and directory, or the directory of one to resume. */
export interface RunStartOptions {
  /** A fresh run: its configuration (relative paths are taken from `cwd`)… */
  config?: RunConfigOverrides;
  /** …and its run directory. */
  out?: string;
  /** Or the run directory of a run to continue from its latest checkpoint, exactly. */
  resume?: string;
  /** A resumed run's changes to its recorded configuration (refused unless they keep it exact). */
  overrides?: RunConfigOverrides;
  cwd?: string;
  /** How the configuration's source is named in errors (a file, "flags"). */
  configName?: string;
  /** Starts the run's backend (config.backend) before any tensor is made; omit when the caller has one. */
  startBackend?: (request: string) => Promise<unknown>;
  /** Stops the run after the current step, with a checkpoint to resume from. */
  signal?: AbortSignal;
}

/**
 * A run's directory locked, its configuration resolved (`paths` makes a configuration's paths absolute) and
 * its backend started, for `work`; the lock is released after, however it ends.
 */
export async function withRun<T>(
  options: RunStartOptions,
  events: RunEvents,
  paths: (config: RunConfigOverrides, cwd: string) => RunConfigOverrides,
  work: (directory: string, config: RunConfig, resuming: boolean) => Promise<T>,
): Promise<T> {
  const cwd = options.cwd ?? process.cwd();
  const say = events.onMessage ?? (() => {});
  const resuming = options.resume !== undefined;
  if (!options.resume && !options.out) throw new Error('--out DIR is required (or --resume DIR)');
  const directory = resolve(cwd, options.resume ?? options.out!);
  const release = await openRunDirectory(directory, resuming, say);
  try {
    const config = resuming
      ? await resumedRunConfig(directory, paths(options.overrides ?? {}, cwd), say)
      : parseRunConfig(paths(options.config ?? {}, cwd), options.configName ?? 'run configuration');
    await options.startBackend?.(config.backend);
    return await work(directory, config, resuming);
  } finally {
    await release();
  }
}
