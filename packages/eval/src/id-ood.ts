import type { ClassificationExample } from '@mini-llama/data';
import type { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { argmax } from './calibration.js';
import { type ClassificationMetrics, classificationMetrics } from './classification-metrics.js';
import { type ClassifierEvaluationOptions, classifierLogits } from './evaluate-classifier.js';
import type { PromptTemplate } from './prompt-template.js';
import { contentFreeLabelProbabilities, type ZeroShotOptions, zeroShotClassify } from './zero-shot.js';

/** Anything that labels texts: a fine-tuned classifier, a zero-shot prompt, a WiSE-FT ensemble at some α. */
export type Predictor = (texts: readonly string[]) => Promise<number[]>;

/** An evaluation set: a name for the report and labelled examples. */
export interface NamedExamples {
  name: string;
  examples: readonly ClassificationExample[];
}

export interface IdOodEntry {
  name: string;
  accuracy: number;
  macroF1: number;
  n: number;
}

export interface IdOodReport {
  id: IdOodEntry;
  ood: IdOodEntry[];
  /** Unweighted mean over the OOD sets (each set counts once, whatever its size); null without OOD sets. */
  oodMean: { accuracy: number; macroF1: number } | null;
}

/** What a predictor said about each example of a set, beside the labels: what intervals are computed from. */
export interface SetPredictions {
  name: string;
  labels: number[];
  predictions: number[];
}

/** An ID/OOD report with every set's predictions. */
export interface IdOodPredictions {
  report: IdOodReport;
  id: SetPredictions;
  ood: SetPredictions[];
}

/** The sets an ID/OOD evaluation runs on; they share the label space `labelNames`. */
export interface IdOodSets {
  id: NamedExamples;
  ood: readonly NamedExamples[];
  labelNames: readonly string[];
}

/**
 * Evaluates one predictor on an in-domain set and several out-of-domain sets, which must share the label
 * space (`labelNames`): e.g. SST-2 dev in-domain, the UCI Amazon, IMDB and Yelp sentences out of domain.
 */
export async function evaluateIdOod(predict: Predictor, sets: IdOodSets): Promise<IdOodReport> {
  return (await predictIdOod(predict, sets)).report;
}

/** `evaluateIdOod` keeping each set's predictions and labels. */
export async function predictIdOod(
  predict: Predictor,
  { id, ood, labelNames }: IdOodSets,
): Promise<IdOodPredictions> {
  const evaluate = async ({ name, examples }: NamedExamples) => {
    const predictions = await predict(examples.map((example) => example.text));
    const labels = examples.map((example) => example.label);
    return { name, labels, predictions, metrics: classificationMetrics(labels, predictions, labelNames) };
  };
  const idResult = await evaluate(id);
  const oodResults: Awaited<ReturnType<typeof evaluate>>[] = [];
  for (const set of ood) oodResults.push(await evaluate(set));
  const strip = ({ name, labels, predictions }: SetPredictions): SetPredictions => ({
    name,
    labels,
    predictions,
  });
  return {
    report: idOodReport(idResult, oodResults),
    id: strip(idResult),
    ood: oodResults.map(strip),
  };
}

/** The ID/OOD summary of metrics computed elsewhere (e.g. with per-class detail kept for a report). */
export function idOodReport(
  id: { name: string; metrics: ClassificationMetrics },
  ood: readonly { name: string; metrics: ClassificationMetrics }[],
): IdOodReport {
  const entry = ({ name, metrics }: { name: string; metrics: ClassificationMetrics }): IdOodEntry => ({
    name,
    accuracy: metrics.accuracy,
    macroF1: metrics.macroF1,
    n: metrics.n,
  });
  const oodEntries = ood.map(entry);
  const mean = (key: 'accuracy' | 'macroF1') =>
    oodEntries.reduce((sum, oodEntry) => sum + oodEntry[key], 0) / oodEntries.length;
  return {
    id: entry(id),
    ood: oodEntries,
    oodMean: oodEntries.length > 0 ? { accuracy: mean('accuracy'), macroF1: mean('macroF1') } : null,
  };
}

/** A fine-tuned classifier as a Predictor: the argmax of its logits. */
export function classifierPredictor(
  classifier: SequenceClassifier,
  tokenizer: Tokenizer,
  options: Omit<ClassifierEvaluationOptions, 'labelNames'> = {},
): Predictor {
  return async (texts) => (await classifierLogits(classifier, texts, tokenizer, options)).map(argmax);
}

/**
 * A zero-shot prompt as a Predictor. With calibration, the content-free probabilities (unless given) are
 * computed once, on first use, and reused for every set: they depend on the prompt only.
 */
export function zeroShotPredictor(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: PromptTemplate,
  { calibrate = false, contentFreeProbabilities, ...options }: ZeroShotOptions = {},
): Predictor {
  let contentFree: Promise<readonly number[]> | null = contentFreeProbabilities
    ? Promise.resolve(contentFreeProbabilities)
    : null;
  return async (texts) => {
    if (!calibrate) return (await zeroShotClassify(model, tokenizer, texts, prompt, options)).predictions;
    contentFree ??= contentFreeLabelProbabilities(
      model,
      tokenizer,
      prompt,
      calibrate === true ? undefined : calibrate.contentFree,
      options,
    );
    const probabilities = await contentFree;
    return (
      await zeroShotClassify(model, tokenizer, texts, prompt, {
        ...options,
        calibrate,
        contentFreeProbabilities: probabilities,
      })
    ).predictions;
  };
}
