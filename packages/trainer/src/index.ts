export { AdamW, type AdamWConfig, type AdamWState } from './adamw.js';
export { type BatchSource, countedTargets, IGNORE_INDEX, maskRows, type TokenBatch } from './batch-source.js';
export {
  type Checkpoint,
  CheckpointError,
  type CheckpointFiles,
  parseCheckpoint,
  restoreTraining,
  serializeCheckpoint,
  snapshotTraining,
} from './checkpoint-files.js';
export { clipGradNorm, globalNorm } from './clip-grad-norm.js';
export { learningRateAt, type ScheduleConfig, type ScheduleName, validateSchedule } from './lr-schedule.js';
export {
  parseRunConfig,
  type RunConfig,
  RunConfigError,
  type RunConfigInput,
  runConfigSchema,
  trainerConfigFromRun,
} from './run-config.js';
export {
  classificationObjective,
  languageModelObjective,
  NonFiniteLossError,
  type Objective,
  type StepMetrics,
  type TrainableModel,
  Trainer,
  type TrainerConfig,
  type TrainerEvent,
} from './trainer.js';
