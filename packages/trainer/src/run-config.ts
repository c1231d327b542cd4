import { z } from 'zod';
import type { TrainerConfig } from './trainer.js';

const positiveInteger = z.number().int().positive();

/** The longest training sequence: its causal mask alone holds T² values (2³⁰ at this length). */
export const MAX_TRAINING_SEQ_LEN = 32_768;
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
    // What a Llama-family checkpoint may set apart (see @mini-llama/formats' LlamaConfig); recorded from the model.
    headDim: positiveInteger.optional(),
    ropeScaling: z
      .union([
        z.object({ type: z.enum(['linear', 'dynamic']), factor: z.number().min(1) }).strict(),
        z
          .object({
            type: z.literal('llama3'),
            factor: z.number().min(1),
            lowFreqFactor: z.number().positive(),
            highFreqFactor: z.number().positive(),
            originalMaxSeqLen: positiveInteger,
          })
          .strict(),
      ])
      .nullable()
      .optional(),
    qkvBias: z.boolean().optional(),
    attentionOutputBias: z.boolean().optional(),
    mlpBias: z.boolean().optional(),
    slidingWindow: positiveInteger.nullable().optional(),
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
    seqLen: positiveInteger
      .max(MAX_TRAINING_SEQ_LEN, `training sequences are at most ${MAX_TRAINING_SEQ_LEN} tokens here`)
      .optional(), // default: the model's maxSeqLen
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

/** LoRA of a fine-tune (HF PEFT's LoraConfig fields that shape the training). */
const loraSchema = z
  .object({
    r: positiveInteger,
    alpha: z.number().positive(),
    dropout: z.number().min(0).lt(1),
    targetModules: z.union([z.array(z.string()).min(1), z.string()]),
    seed: z.number().int(),
  })
  .strict();

/** What a fine-tune learns from, and how its classifier starts; `labelNames` and `prompt` are recorded by it. */
const finetuneSchema = z
  .object({
    /** Classification: a TASKSPEC (task:path) of labelled texts. */
    task: z.string().nullable().default(null),
    /** Classification: the held-out TASKSPEC (validation loss, and accuracy at the end). */
    evalTask: z.string().nullable().default(null),
    /** Language modelling: a JSONL file of prompts and completions. */
    lmData: z.string().nullable().default(null),
    promptField: z.string().default('prompt'),
    completionField: z.string().default('completion'),
    /** Longest sequence in tokens (default: the model's context). */
    maxLength: positiveInteger.optional(),
    /**
     * How the classification head starts: random, the zero-shot head of the task's prompt, or the head of the
     * classifier given as model.init (its classifier.safetensors and labels.json: LP-FT's fine-tune from a probe).
     */
    head: z.enum(['random', 'zero-shot', 'init']).default('random'),
    /**
     * Which weights learn: all of them, or the classification head alone on frozen features (a linear probe:
     * the LP of LP-FT, Kumar et al. 2022).
     */
    train: z.enum(['all', 'head']).default('all'),
    /** Classification: the validation accuracy at every evaluation too (metrics.jsonl's valAccuracy). */
    trackAccuracy: z.boolean().default(false),
    lora: loraSchema.nullable().default(null),
    /** Recorded by the run: the task's labels, in the classifier's order. */
    labelNames: z.array(z.string()).optional(),
    /** Recorded by the run: the prompt a zero-shot head reads its texts in. */
    prompt: z
      .object({ template: z.string(), verbalizers: z.array(z.string()) })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

export const runConfigSchema = z
  .object({
    model: modelSchema.default({}),
    data: dataSchema,
    training: trainingSchema,
    /** A @mini-llama/backends request (auto, tensorflow, webgpu, wasm, cpu): checked when the backend starts. */
    backend: z.string().default('auto'),
    /** Present for a fine-tune: what it learns from. */
    finetune: finetuneSchema.optional(),
  })
  .strict();

/** A fine-tune's settings in its run configuration. */
export type FinetuneSettings = z.infer<typeof finetuneSchema>;
/** LoRA settings as a run configuration records them. */
export type LoraSettings = z.infer<typeof loraSchema>;

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

/** One difference between a recorded run configuration and the one a resumed run asks for. */
export interface RunConfigChange {
  field: string; // dotted path, e.g. training.lr
  from: unknown;
  to: unknown;
  /** Whether the resumed run still continues the recorded one exactly with it (see RESUMABLE_CHANGES). */
  safe: boolean;
}

// What a resumed run may change and still continue the interrupted one: more (or fewer) steps (the schedule
// then decays over the new total, which the log says), how often it logs, evaluates and checkpoints, how many
// checkpoints it keeps, the backend (float sums in another order), the NaN policy and the checkpoint dtype.
// Everything else — the model, the data and its order, every optimiser and schedule setting, the seed, what a
// fine-tune learns from — would make the resumed steps differ from the ones the run would have taken.
const RESUMABLE_CHANGES = new Set([
  'training.steps',
  'training.logEvery',
  'training.evalEvery',
  'training.evalBatches',
  'training.checkpointEvery',
  'training.keepLast',
  'training.onNan',
  'training.checkpointDtype',
  'backend',
]);

/** Every field where `requested` differs from `recorded`, each marked safe for a resume or not. */
export function runConfigChanges(recorded: RunConfig, requested: RunConfig): RunConfigChange[] {
  const changes: RunConfigChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        walk(a[key], b[key], path ? `${path}.${key}` : key);
      }
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    changes.push({ field: path, from: a, to: b, safe: RESUMABLE_CHANGES.has(path) });
  };
  walk(recorded, requested, '');
  return changes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any part of a run configuration, as flags give it: each field set overrides the same field of a base. */
export type RunConfigOverrides = {
  [K in keyof RunConfigInput]?: RunConfigInput[K] extends object
    ? Partial<Exclude<RunConfigInput[K], undefined>>
    : RunConfigInput[K];
};

/** `base` with every field `overrides` sets (undefined fields are not set), section by section. */
export function mergeRunConfig(base: Partial<RunConfigInput>, overrides: RunConfigOverrides): RunConfigInput {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] =
      isPlainObject(value) && isPlainObject(current) ? { ...current, ...definedOnly(value) } : value;
  }
  return merged as RunConfigInput;
}

function definedOnly(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
