// What the study's stages leave in its state: plain JSON, so a finished stage is reused by the next run.

/** The data stage: the pretraining text and the classification sets. */
export interface StudyData {
  task: string;
  corpusDocuments: number;
  corpusBytes: number;
  labelNames: string[];
  sizes: { train: number; test: number };
  ood: { name: string; spec: string; n: number }[];
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
}

/** Trainable parameters of full fine-tuning (backbone + head) and of the LoRA adapter (+ its head). */
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

/** The WiSE-FT stage: the α sweep (see @mini-llama/wise-ft/node's WiseFtSummary). */
export interface SweepResult {
  chosenAlpha: number;
  results: { alpha: number; accuracy: Record<string, number>; oodMean: number | null }[];
  id: string;
  ood: string[];
}
