import { join } from 'node:path';
import type { StudyPlan } from '../plan.js';

export interface StudyFinetuneSettings {
  plan: StudyPlan;
  /** The model fine-tuned (absolute path). */
  base: string;
  /** The data stage's directory: train.tsv, val.tsv. */
  data: string;
  /** The longest input, in tokens. */
  maxLength: number;
  seed: number;
  lr: number;
  /** LoRA on q, k, v, o (rank from the plan, alpha twice the rank) instead of every weight. */
  lora: boolean;
  steps: number;
  backend: string;
}

/**
 * The run configuration of one of the study's fine-tunes: from the zero-shot head, on the training split,
 * validated on the validation split. The seed orders the data and initialises the adapter.
 */
export function studyFinetuneConfig({
  plan,
  base,
  data,
  maxLength,
  seed,
  lr,
  lora,
  steps,
  backend,
}: StudyFinetuneSettings) {
  return {
    model: { init: base },
    data: { train: [] },
    training: {
      steps,
      batchSize: plan.finetuneBatch,
      lr,
      warmup: Math.ceil(steps / 10),
      evalEvery: Math.max(1, Math.floor(steps / 4)),
      evalBatches: 4,
      checkpointEvery: Math.max(1, Math.floor(steps / 4)),
      seed,
    },
    finetune: {
      task: `tsv:${join(data, 'train.tsv')}`,
      evalTask: `tsv:${join(data, 'val.tsv')}`,
      head: 'zero-shot' as const,
      maxLength,
      lora: lora
        ? {
            r: plan.loraRank,
            alpha: 2 * plan.loraRank,
            dropout: 0,
            targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
            seed,
          }
        : null,
    },
    backend,
  };
}
