export { AdamW, type AdamWConfig, type AdamWState } from './adamw.js';
export type { BatchSource } from './batch-source.js';
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
  type FinetuneSettings,
  type LoraSettings,
  MAX_TRAINING_SEQ_LEN,
  mergeRunConfig,
  parseRunConfig,
  type RunConfig,
  type RunConfigChange,
  RunConfigError,
  type RunConfigInput,
  type RunConfigOverrides,
  runConfigChanges,
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
