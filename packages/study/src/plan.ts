/** The study's size: model shape, steps, batch sizes and how many examples of each set. */
export interface StudyPlan {
  shape: { dim: number; layers: number; heads: number; kvHeads: number };
  vocabSize: number;
  seqLen: number;
  pretrainSteps: number;
  pretrainBatch: number;
  finetuneSteps: number;
  finetuneBatch: number;
  loraRank: number;
  /** Fine-tuning runs per method (seeds 0, 1, …): data order and adapter initialisation. */
  seeds: number;
  /** The WiSE-FT α grid. */
  alphas: readonly number[];
  /** The learning rates of the stability grid (`lrGrid`), per method, each at the plan's steps and seeds. */
  lrGrid: { full: readonly number[]; lora: readonly number[] };
  /** val: in-domain validation examples (held out of training) that choose α. */
  examples: { train: number; val: number; test: number; ood: number };
  heldoutBytes: number;
  continuationTokens: number;
}

/** The default study (about 10 minutes on 2 cores) and the quick one (about 2). */
export const STUDY_PLANS = {
  default: {
    shape: { dim: 96, layers: 4, heads: 4, kvHeads: 2 },
    vocabSize: 1024,
    seqLen: 128,
    pretrainSteps: 400,
    pretrainBatch: 16,
    finetuneSteps: 90,
    finetuneBatch: 16,
    loraRank: 8,
    seeds: 3,
    alphas: [0, 0.2, 0.4, 0.6, 0.8, 1],
    lrGrid: { full: [3e-4, 1e-3, 3e-3], lora: [1e-3, 3e-3, 1e-2] },
    examples: { train: 1600, val: 200, test: 300, ood: 300 },
    heldoutBytes: 160_000,
    continuationTokens: 48,
  },
  quick: {
    shape: { dim: 48, layers: 2, heads: 4, kvHeads: 2 },
    vocabSize: 512,
    seqLen: 96,
    pretrainSteps: 150,
    pretrainBatch: 8,
    finetuneSteps: 40,
    finetuneBatch: 8,
    loraRank: 4,
    seeds: 3,
    alphas: [0, 0.2, 0.4, 0.6, 0.8, 1],
    lrGrid: { full: [3e-4, 1e-3, 3e-3], lora: [1e-3, 3e-3, 1e-2] },
    examples: { train: 400, val: 100, test: 100, ood: 100 },
    heldoutBytes: 40_000,
    continuationTokens: 24,
  },
} as const satisfies Record<string, StudyPlan>;

/** The prompts whose continuations the report shows. */
export const CONTINUATION_PROMPTS = ['The jury said', 'In the morning', 'It was the first time'] as const;

/** The study's stages, in order; each leaves its result in the study's state and its files in its directory. */
export const STUDY_STAGES = [
  'data',
  'tokenizer',
  'pretrain',
  'perplexity',
  'continuations',
  'zero-shot',
  'linear-probe',
  'finetune-full',
  'finetune-lora',
  'evaluate',
  'wise-ft',
  'stability',
  'report',
] as const;

export type StudyStage = (typeof STUDY_STAGES)[number];

/**
 * The α = 0 end of the study: the zero-shot classifier (the LM head's rows for the label words, centred on
 * unlabelled in-domain texts), or a linear probe (that head trained on frozen features), from which the
 * fine-tunes start: LP-FT (Kumar et al. 2022).
 */
export type StudyEndpoint = 'zero-shot' | 'linear-probe';

/**
 * The layout of stages.json this version writes (2: fine-tuning over seeds, predictions kept; 3: the fine-tunes
 * start from the zero-shot classifier saved in RUN/zero-shot).
 */
export const STUDY_STATE_VERSION = 3;

/** What the study has done so far: each finished stage's result (JSON), so a second run reuses it. */
export interface StudyState {
  version?: number;
  done: Partial<Record<StudyStage, unknown>>;
  /**
   * The finished parts of a stage that runs several (e.g. 'finetune-full/seed-1', 'wise-ft/seed-0') with their
   * results, so a stage interrupted between them resumes where it stopped.
   */
  parts?: Record<string, unknown>;
  /** The base model studied (`--base`), or null when the study pretrains its own; absent in older runs. */
  base?: string | null;
  /** Where the fine-tunes start and WiSE-FT's α = 0 lies: the zero-shot head, or a linear probe (LP-FT). */
  endpoint?: StudyEndpoint;
}

/** What a study of a given base model records as its pretraining stage: the model and its shape. */
export interface StudyBase {
  base: string;
  path: string;
  shape: StudyPlan['shape'];
  vocabSize: number;
}
