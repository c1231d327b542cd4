import { join } from 'node:path';
import type { StudyPlan } from '../plan.js';

export interface StudyFinetuneSettings {
  plan: StudyPlan;
  /**
   * The classifier fine-tuned (absolute path), whose head and prompt the fine-tune starts from: the zero-shot
   * classifier, or a linear probe (LP-FT).
   */
  base: string;
  /** Which weights learn: all (or the adapter with `lora`), or the head alone (a linear probe). */
  train: 'all' | 'head';
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
 * The run configuration of one of the study's fine-tunes (or linear probes): on the training split, validated on
 * the validation split. The seed orders the data and initialises the adapter.
 */
export function studyFinetuneConfig({
  plan,
  base,
  train,
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
      head: 'init' as const,
      train,
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

/** The run configuration of the study's pretraining: the plan's shape on DATA/corpus.jsonl. */
export function studyPretrainConfig({
  plan,
  data,
  tokenizer,
  steps,
  backend,
}: {
  plan: StudyPlan;
  /** The data stage's directory: corpus.jsonl. */
  data: string;
  /** The tokenizer file trained on the corpus. */
  tokenizer: string;
  steps: number;
  backend: string;
}) {
  return {
    model: {
      dim: plan.shape.dim,
      nLayers: plan.shape.layers,
      nHeads: plan.shape.heads,
      nKvHeads: plan.shape.kvHeads,
    },
    data: { train: [join(data, 'corpus.jsonl')], tokenizer, valFraction: 0.05 },
    training: {
      steps,
      batchSize: plan.pretrainBatch,
      seqLen: plan.seqLen,
      lr: 3e-3,
      minLr: 3e-4,
      warmup: Math.ceil(steps / 20),
      evalEvery: Math.max(1, Math.floor(steps / 5)),
      evalBatches: 4,
      checkpointEvery: Math.max(1, Math.floor(steps / 5)),
    },
    backend,
  };
}
