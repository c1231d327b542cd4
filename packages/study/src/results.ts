// What the study's stages leave in its state: plain JSON, so a finished stage is reused by the next run.

/** The data stage: the pretraining text and the classification sets. */
export interface StudyData {
  task: string;
  corpusDocuments: number;
  corpusBytes: number;
  labelNames: string[];
  /** val: the in-domain validation split that chooses α (held out of training, never the test set). */
  sizes: { train: number; val: number; test: number };
  ood: { name: string; spec: string; n: number }[];
}

/** What one classifier predicted for every example of the in-domain test set and of each OOD set. */
export interface SetsPredictions {
  id: number[];
  ood: number[][];
}

/** The true labels of the same sets, in the same order (label indices in `StudyData.labelNames` order). */
export type SetsLabels = SetsPredictions;

/**
 * The zero-shot stage: the pretrained model as a classifier (label-word rows of its LM head, centred on the
 * unlabelled training texts) and what it predicts. It is WiSE-FT's α = 0 and where the fine-tunes start.
 */
export interface ZeroShotResult {
  evaluation: Evaluation;
  labels: SetsLabels;
  predictions: SetsPredictions;
  /** How its head was made (saveZeroShotClassifier's record). */
  head: { template: string; labelWords: string[][]; centredOn: number };
  /** The classifier's directory (weights, head, labels.json). */
  path: string;
}

/**
 * The evaluate stage: each seed's LoRA classifier on the sets, and the sets' labels. The full fine-tunes are
 * evaluated by the WiSE-FT stage: θ(1) is the fine-tuned model bit for bit.
 */
export interface SeedEvaluations {
  labels: SetsLabels;
  lora: SetsPredictions[];
  shares: TrainableShares;
}

/**
 * The WiSE-FT stage: for each seed's full fine-tune, θ(α) at every α, on the validation split (which chooses
 * α: the best accuracy, ties to the smaller α) and on the test and OOD sets.
 */
export interface WiseFtSeeds {
  alphas: number[];
  seeds: {
    chosenAlpha: number;
    /** Whether another α had the same validation accuracy as the chosen one. */
    tie: boolean;
    /** Validation accuracy at each α. */
    val: number[];
    /** Predictions at each α. */
    predictions: SetsPredictions[];
  }[];
}

export interface Continuation {
  prompt: string;
  continuation: string;
}

/** A classification evaluation (what `eval classify --json` prints; see @mini-llama/eval/node). */
export interface Evaluation {
  accuracy: number;
  macroF1: number;
  n: number;
  confusion: number[][];
  labelNames: string[];
  idOod?: { ood: { name: string; accuracy: number }[]; oodMean: { accuracy: number } | null } | null;
  /** Zero-shot: the prompt and label words, and the calibration when there was one. */
  prompt?: { template: string; verbalizers: readonly string[] } | null;
  calibration?: { contentFree: readonly string[]; probabilities: number[] } | null;
}

/**
 * Trainable parameters of full fine-tuning (backbone + head) and of the LoRA adapter (+ its head); loraShare
 * counts as peft's print_trainable_parameters does: lora / (full + lora), the adapted model's every parameter.
 */
export interface TrainableShares {
  full: number;
  lora: number;
  loraMatrices: number;
  head: number;
  loraShare: number;
}

export interface PerplexityResult {
  perplexity: number;
  bitsPerByte: number;
  tokens: number;
  nll: number;
}
