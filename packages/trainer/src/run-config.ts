import { z } from 'zod';
import type { TrainerConfig } from './trainer.js';

const positiveInteger = z.number().int().positive();
const nonNegativeInteger = z.number().int().nonnegative();

/** The model part: a preset by name and/or explicit shape fields (which override the preset). */
const modelSchema = z
  .object({
    preset: z.string().optional(),
    dim: positiveInteger.optional(),
    nLayers: positiveInteger.optional(),
    nHeads: positiveInteger.optional(),
    nKvHeads: positiveInteger.optional(),
    vocabSize: positiveInteger.optional(),
    maxSeqLen: positiveInteger.optional(),
    multipleOf: positiveInteger.optional(),
    hiddenDim: positiveInteger.optional(),
    tieEmbeddings: z.boolean().optional(),
    normEps: z.number().positive().optional(),
    ropeTheta: z.number().positive().optional(),
    /** Start from these weights (any format @mini-llama/model reads) instead of a fresh initialisation. */
    init: z.string().optional(),
  })
  .strict();

const dataSchema = z
  .object({
    train: z.array(z.string()).min(1),
    validation: z.array(z.string()).optional(),
    tokenizer: z.string().optional(),
    order: z.enum(['sequential', 'shuffled']).default('shuffled'),
    valFraction: z.number().min(0).max(0.5).default(0.05),
  })
  .strict();

const trainingSchema = z
  .object({
    steps: positiveInteger,
    batchSize: positiveInteger,
    gradAccum: positiveInteger.default(1),
    seqLen: positiveInteger.optional(), // default: the model's maxSeqLen
    lr: z.number().positive().default(5e-4),
    minLr: z.number().nonnegative().default(0),
    warmup: nonNegativeInteger.default(0),
    schedule: z.enum(['cosine', 'constant', 'linear']).default('cosine'),
    weightDecay: z.number().nonnegative().default(0.1),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.95),
    eps: z.number().positive().default(1e-8),
    clip: z.number().nonnegative().default(1),
    evalEvery: nonNegativeInteger.default(0),
    evalBatches: positiveInteger.default(8),
    logEvery: positiveInteger.default(1),
    checkpointEvery: nonNegativeInteger.default(0),
    keepLast: positiveInteger.default(2),
    seed: z.number().int().default(0),
    onNan: z.enum(['stop', 'skip']).default('stop'),
    /** Storage dtype of checkpoint tensors; training itself is always float32. */
    checkpointDtype: z.enum(['f32', 'f16', 'bf16']).default('f32'),
  })
  .strict();

export const runConfigSchema = z
  .object({
    model: modelSchema.default({}),
    data: dataSchema,
    training: trainingSchema,
    // the names @mini-llama/backends' useBackend takes
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

/** A whole run: model, data and training settings, as `--config-file` reads and run-config.json records. */
export type RunConfig = z.infer<typeof runConfigSchema>;
/** What a user may write: every defaulted field optional. */
export type RunConfigInput = z.input<typeof runConfigSchema>;

export class RunConfigError extends Error {
  override name = 'RunConfigError';
}

/** Validates a run configuration; errors list every problem with its field path and the source's name. */
export function parseRunConfig(json: unknown, source = 'run configuration'): RunConfig {
  const result = runConfigSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new RunConfigError(`${source}: ${problems.join('; ')}`);
}

/** The Trainer's settings in a run configuration; evaluation only when the run has validation data. */
export function trainerConfigFromRun(
  training: RunConfig['training'],
  { evaluate }: { evaluate: boolean },
): TrainerConfig {
  return {
    steps: training.steps,
    batchSize: training.batchSize,
    gradAccum: training.gradAccum,
    clip: training.clip,
    evalEvery: evaluate ? training.evalEvery : 0,
    nonFinite: training.onNan,
    optimizer: {
      beta1: training.beta1,
      beta2: training.beta2,
      eps: training.eps,
      weightDecay: training.weightDecay,
    },
    schedule: {
      name: training.schedule,
      learningRate: training.lr,
      minLearningRate: training.minLr,
      warmupSteps: training.warmup,
    },
  };
}
