/** Learning-rate schedules: pure functions of the step, so a resumed run gets exactly the same rates. */
export type ScheduleName = 'cosine' | 'constant' | 'linear';

export interface ScheduleConfig {
  name: ScheduleName;
  learningRate: number; // the peak rate, reached at the end of warm-up
  minLearningRate?: number; // where cosine and linear decay end (default 0)
  warmupSteps?: number; // linear warm-up from lr/warmupSteps to lr (default 0)
  totalSteps: number; // decay ends here; later steps stay at the minimum
}

/**
 * The rate for step `step` (0-based). Warm-up is linear over the first warmupSteps steps, starting at
 * lr/warmupSteps rather than 0 so the first update is not wasted (nanoGPT's (it+1)/warmup form); then
 * cosine: min + ½(1 + cos(π·progress))·(lr − min) (Loshchilov & Hutter 2017, SGDR, without restarts);
 * linear: lr − progress·(lr − min); constant: lr.
 */
export function learningRateAt(step: number, config: ScheduleConfig): number {
  const { name, learningRate, minLearningRate = 0, warmupSteps = 0, totalSteps } = config;
  if (!Number.isInteger(step) || step < 0)
    throw new Error(`learningRateAt: step must be an integer ≥ 0, got ${step}`);
  if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  if (name === 'constant') return learningRate;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  if (name === 'linear') return learningRate - progress * (learningRate - minLearningRate);
  return minLearningRate + 0.5 * (1 + Math.cos(Math.PI * progress)) * (learningRate - minLearningRate);
}

export function validateSchedule(config: ScheduleConfig): void {
  const { name, learningRate, minLearningRate = 0, warmupSteps = 0, totalSteps } = config;
  if (!['cosine', 'constant', 'linear'].includes(name)) {
    throw new Error(`schedule: unknown name "${name}", expected cosine, constant or linear`);
  }
  if (!(learningRate > 0)) throw new Error(`schedule: learningRate must be positive, got ${learningRate}`);
  if (!(minLearningRate >= 0 && minLearningRate <= learningRate)) {
    throw new Error(`schedule: minLearningRate must be in [0, learningRate], got ${minLearningRate}`);
  }
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`schedule: warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps <= 0) {
    throw new Error(`schedule: totalSteps must be a positive integer, got ${totalSteps}`);
  }
}
