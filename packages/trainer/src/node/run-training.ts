import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenBatch } from '@mini-llama/data';
import { withFilePath, writeAtomic } from '@mini-llama/formats/node';
import type { StorageDtype } from '@mini-llama/model';
import type { BatchSource } from '../batch-source.js';
import { type Checkpoint, restoreTraining, snapshotTraining } from '../checkpoint-files.js';
import type { StepMetrics, TrainableModel, Trainer } from '../trainer.js';
import { loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint.js';

export interface RunTrainingOptions<M extends TrainableModel = TrainableModel> {
  runDirectory: string;
  trainer: Trainer<M>;
  train: BatchSource;
  /** Fresh validation batches for each evaluation. */
  validation?: () => Iterable<TokenBatch> | AsyncIterable<TokenBatch>;
  /** More validation metrics at each evaluation (e.g. a classifier's accuracy), logged beside the loss. */
  evaluateMore?: () => Promise<Pick<StepMetrics, 'valAccuracy'>>;
  checkpointEvery?: number; // steps between checkpoints (0: only at the end)
  keepLast?: number; // checkpoints kept besides the best (default 2)
  dtype?: StorageDtype; // of checkpoint tensors (default F32)
  logEvery?: number; // steps between metrics.jsonl lines (default 1; evaluations are always logged)
  /** JSON saved in every checkpoint: the run configuration, the tokenizer reference, … */
  runState?: Record<string, unknown>;
  /** Stops after the current step, writing a checkpoint first (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RunResult {
  step: number;
  bestValLoss: number | null;
  bestCheckpoint: string | null;
  lastCheckpoint: string | null;
  stopped: boolean; // by the signal
}

/**
 * Runs a Trainer to its configured number of steps with the run directory's files: metrics.jsonl (one JSON
 * object per logged step), checkpoints (atomic; the last `keepLast` and the best kept), and — when the
 * trainer was resumed with `resumeTraining` — continues the metrics file where the checkpoint left it.
 */
export async function runTraining<M extends TrainableModel>(
  options: RunTrainingOptions<M>,
): Promise<RunResult> {
  const {
    runDirectory,
    trainer,
    train,
    validation,
    checkpointEvery = 0,
    keepLast = 2,
    dtype,
    logEvery = 1,
  } = options;
  await mkdir(runDirectory, { recursive: true });
  const metricsPath = join(runDirectory, 'metrics.jsonl');
  let bestCheckpoint = (await readBestPointer(runDirectory)) ?? null;
  let lastCheckpoint: string | null = null;
  const { steps, evalEvery } = trainer.config;
  const checkpointNow = async () => {
    lastCheckpoint = await saveCheckpoint(
      runDirectory,
      await snapshotTraining(trainer, train, { ...options.runState, metrics: history }),
      { dtype },
    );
    trainer.emit({ type: 'checkpoint', step: trainer.step, path: lastCheckpoint });
    return lastCheckpoint;
  };
  // Every logged step so far, saved in each checkpoint beside metrics.jsonl (a resumed run trims the file to
  // the checkpoint's step, so the two always agree).
  const history: StepMetrics[] = await readMetrics(metricsPath);
  while (trainer.step < steps) {
    const metrics: StepMetrics = await trainer.trainStep(train);
    let best = false;
    if (validation && evalEvery > 0 && (metrics.step % evalEvery === 0 || metrics.step === steps)) {
      const { loss, perplexity } = await trainer.evaluate(validation());
      metrics.valLoss = loss;
      metrics.valPerplexity = perplexity;
      if (options.evaluateMore) Object.assign(metrics, await options.evaluateMore());
      best = trainer.recordEvaluation(loss);
    }
    if (metrics.step % logEvery === 0 || metrics.valLoss !== undefined || metrics.step === steps) {
      await appendFile(metricsPath, `${JSON.stringify(metrics)}\n`).catch((error: unknown) => {
        throw withFilePath(error, metricsPath);
      });
      history.push(metrics);
    }
    const stopping = options.signal?.aborted ?? false;
    const due =
      (checkpointEvery > 0 && metrics.step % checkpointEvery === 0) || metrics.step === steps || stopping;
    if (best || due) {
      const path = await checkpointNow();
      if (best) {
        bestCheckpoint = path;
        await writeAtomic(
          join(runDirectory, 'best.json'),
          `${JSON.stringify({ checkpoint: path, valLoss: trainer.bestValLoss })}\n`,
        );
      }
      await pruneCheckpoints(runDirectory, keepLast, bestCheckpoint ? [bestCheckpoint] : []);
    }
    if (stopping) break;
  }
  return {
    step: trainer.step,
    bestValLoss: Number.isFinite(trainer.bestValLoss) ? trainer.bestValLoss : null,
    bestCheckpoint,
    lastCheckpoint,
    stopped: options.signal?.aborted ?? false,
  };
}

/**
 * Restores a trainer (model weights and training state, optimizer moments, step, best validation loss) and a
 * batch source (its cursor) from a checkpoint (`loaded`: already read from that path), and trims the run's metrics.jsonl to the checkpoint's step, so the resumed run
 * continues exactly as the uninterrupted one would have.
 */
export async function resumeTraining<M extends TrainableModel>(
  trainer: Trainer<M>,
  train: BatchSource,
  checkpointPath: string,
  runDirectory?: string,
  loaded?: Checkpoint,
): Promise<Checkpoint> {
  const checkpoint = loaded ?? (await loadCheckpoint(checkpointPath));
  restoreTraining(trainer, train, checkpoint, checkpointPath);
  if (runDirectory) await trimMetrics(join(runDirectory, 'metrics.jsonl'), checkpoint.step);
  return checkpoint;
}

/** Keeps the metrics of steps up to `step` (atomically: a kill while trimming loses nothing). */
export async function trimMetrics(path: string, step: number): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return;
  const kept = metricsLines(text, path).filter((line) => line.metrics.step <= step);
  await writeAtomic(path, kept.map(({ text }) => `${text}\n`).join(''));
}

async function readMetrics(path: string): Promise<StepMetrics[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return metricsLines(text, path).map((line) => line.metrics);
}

/**
 * The lines of metrics.jsonl. A last line that is not whole JSON is what a process killed while appending
 * leaves: it is dropped (the checkpoint a run resumes from holds every line it needs). Any other broken line
 * is an error naming it.
 */
function metricsLines(text: string, path: string): { text: string; metrics: StepMetrics }[] {
  const lines = text.split('\n');
  const parsed: { text: string; metrics: StepMetrics }[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      parsed.push({ text: line, metrics: JSON.parse(line) as StepMetrics });
    } catch (error) {
      const torn = index === lines.length - 1; // no newline after it: the append did not finish
      if (!torn) throw new Error(`${path}:${index + 1}: invalid JSON (${(error as Error).message})`);
    }
  }
  return parsed;
}

async function readBestPointer(runDirectory: string): Promise<string | undefined> {
  const text = await readFile(join(runDirectory, 'best.json'), 'utf8').catch(() => null);
  return text ? (JSON.parse(text) as { checkpoint: string }).checkpoint : undefined;
}
