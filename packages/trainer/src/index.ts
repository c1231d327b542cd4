export { AdamW, type AdamWConfig, type AdamWState } from './adamw.js';
export { type BatchSource, countedTargets, IGNORE_INDEX, type TokenBatch } from './batch-source.js';
export { clipGradNorm, globalNorm } from './clip-grad-norm.js';
export { learningRateAt, type ScheduleConfig, type ScheduleName, validateSchedule } from './lr-schedule.js';
export {
  languageModelObjective,
  NonFiniteLossError,
  type Objective,
  type StepMetrics,
  Trainer,
  type TrainerConfig,
  type TrainerEvent,
} from './trainer.js';
