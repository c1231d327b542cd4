import type { LlamaModel } from '@mini-llama/model';
import {
  type BatchSource,
  parseCheckpoint,
  restoreTraining,
  serializeCheckpoint,
  snapshotTraining,
  type Trainer,
  type CheckpointFiles as TrainerCheckpointFiles,
} from '@mini-llama/trainer';

/**
 * A checkpoint as the three files of @mini-llama/trainer/node's checkpoint directory (model.safetensors,
 * optimizer.safetensors, trainer-state.json), made by the same library calls (`snapshotTraining` and
 * `serializeCheckpoint`), so the browser keeps them in IndexedDB where Node keeps them on disk, and either
 * resumes the other's. `step` is kept beside them for the page.
 */
export interface CheckpointFiles extends TrainerCheckpointFiles {
  step: number;
}

/** One point of the loss curve; saved with the checkpoint so a reload redraws the whole run. */
export interface LossPoint {
  step: number;
  loss: number;
}

/** Where error messages say a checkpoint came from. */
const LOCATION = 'IndexedDB checkpoint';

/** Everything a run needs to continue exactly: weights, AdamW moments, step, data cursor, the curve so far. */
export async function checkpointFiles(
  trainer: Trainer<LlamaModel>,
  loader: BatchSource,
  history: readonly LossPoint[],
): Promise<CheckpointFiles> {
  const checkpoint = await snapshotTraining(trainer, loader, { metrics: history });
  return { step: trainer.step, ...serializeCheckpoint(checkpoint) };
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
  const checkpoint = parseCheckpoint(files, LOCATION);
  restoreTraining(trainer, loader, checkpoint, LOCATION);
  return (checkpoint.state.metrics as LossPoint[] | undefined) ?? [];
}
