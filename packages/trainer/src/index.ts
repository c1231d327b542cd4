export { AdamW, type AdamWConfig, type AdamWState } from './adamw.js';
export { clipGradNorm, globalNorm } from './clip-grad-norm.js';
export { learningRateAt, type ScheduleConfig, type ScheduleName, validateSchedule } from './lr-schedule.js';
