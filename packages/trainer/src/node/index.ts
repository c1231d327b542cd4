export {
  type Checkpoint,
  CheckpointError,
  checkpointName,
  type IntactCheckpoint,
  latestCheckpoint,
  latestIntactCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from './checkpoint.js';
export { type FinetuneOptions, type FinetuneResult, finetune } from './finetune.js';
export { type PretrainOptions, pretrain } from './pretrain.js';
export {
  assertNoRunIn,
  LOCK_FILE,
  lockRunDirectory,
  RUN_CONFIG_FILE,
  readRunConfig,
  removeTemporaries,
  writeRunConfig,
} from './run-directory.js';
export { type RunResult, type RunTrainingOptions, resumeTraining, runTraining } from './run-training.js';
export type { RunEvents, RunStart, TrainingRunResult } from './training-run.js';
