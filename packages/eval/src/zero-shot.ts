import type { ClassificationExample } from '@mini-llama/data';
import type { LlamaModel } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { argmax, calibrateScores, meanLabelProbabilities } from './calibration.js';
import { type ClassificationMetrics, classificationMetrics } from './classification-metrics.js';
import type { PromptTemplate } from './prompt-template.js';
import { type VerbalizerScoreOptions, verbalizerScores } from './verbalizer-scores.js';

/** The content-free input of Zhao et al. 2021 used by default. */
export const DEFAULT_CONTENT_FREE = ['N/A'];

export interface ZeroShotOptions extends VerbalizerScoreOptions {
  /**
   * Contextual calibration (Zhao et al. 2021): divide each text's label probabilities by those of
   * content-free inputs in the same prompt (`true`: "N/A"; or the inputs to average, e.g. ["N/A", "", "[MASK]"]).
   */
  calibrate?: boolean | { contentFree: readonly string[] };
  /** With `calibrate`: content-free label probabilities computed before (for this prompt), used as they are. */
  contentFreeProbabilities?: readonly number[];
}

export interface ZeroShotResult {
  /** Per text, per label: the verbalizer scores, calibrated (log-probabilities over labels) when asked. */
  scores: number[][];
  /** The verbalizer scores before calibration. */
  rawScores: number[][];
  predictions: number[];
  /** The content-free label probabilities that calibrated the scores, or null. */
  contentFreeProbabilities: number[] | null;
}

/** Classifies texts by the verbalizer whose tokens the model finds most likely after the prompt. */
export async function zeroShotClassify(
  model: LlamaModel,
  tokenizer: Tokenizer,
  texts: readonly string[],
  prompt: PromptTemplate,
  { calibrate = false, contentFreeProbabilities: given, ...options }: ZeroShotOptions = {},
): Promise<ZeroShotResult> {
  const rawScores = await verbalizerScores(model, tokenizer, texts, prompt, options);
  let contentFreeProbabilities: number[] | null = null;
  let scores = rawScores;
  if (calibrate) {
    const contentFree = calibrate === true ? DEFAULT_CONTENT_FREE : calibrate.contentFree;
    contentFreeProbabilities = given
      ? [...given]
      : await contentFreeLabelProbabilities(model, tokenizer, prompt, contentFree, options);
    scores = calibrateScores(rawScores, contentFreeProbabilities);
  }
  return { scores, rawScores, predictions: scores.map(argmax), contentFreeProbabilities };
}

/** The mean label probabilities of the prompt filled with each content-free input. */
export async function contentFreeLabelProbabilities(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: PromptTemplate,
  contentFree: readonly string[] = DEFAULT_CONTENT_FREE,
  options: Omit<VerbalizerScoreOptions, 'onProgress'> = {},
): Promise<number[]> {
  const { batchSize, lengthNormalize } = options;
  return meanLabelProbabilities(
    await verbalizerScores(model, tokenizer, contentFree, prompt, { batchSize, lengthNormalize }),
  );
}

export interface ZeroShotEvaluation extends ZeroShotResult {
  metrics: ClassificationMetrics;
}

/** Zero-shot classification of labelled examples and its metrics; labelNames default to the verbalizers. */
export async function evaluateZeroShot(
  model: LlamaModel,
  tokenizer: Tokenizer,
  examples: readonly ClassificationExample[],
  prompt: PromptTemplate,
  { labelNames, ...options }: ZeroShotOptions & { labelNames?: readonly string[] } = {},
): Promise<ZeroShotEvaluation> {
  const result = await zeroShotClassify(
    model,
    tokenizer,
    examples.map((example) => example.text),
    prompt,
    options,
  );
  const names = labelNames ?? prompt.verbalizers.map((verbalizer) => verbalizer.trim());
  const metrics = classificationMetrics(
    examples.map((example) => example.label),
    result.predictions,
    names,
  );
  return { ...result, metrics };
}
