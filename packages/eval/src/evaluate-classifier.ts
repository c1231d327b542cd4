import { type ClassificationExample, classificationBatches } from '@mini-llama/data';
import { contextLength, type SequenceClassifier } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { argmax } from './calibration.js';
import { type ClassificationMetrics, classificationMetrics } from './classification-metrics.js';

export interface ClassifierEvaluationOptions {
  /** Texts per forward pass (default 16). */
  batchSize?: number;
  /** Longer texts are cut to this many tokens, keeping their start (default: the model's context). */
  maxLength?: number;
  /** Class names for the metrics (default '0' … numLabels − 1). */
  labelNames?: readonly string[];
  /**
   * The prompt template the classifier was fine-tuned with (`{text}` slot), e.g. one whose head started as the
   * zero-shot verbalizer head; a long text then loses its start so the prompt's end stays.
   */
  template?: string;
  /** Called after every batch. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/**
 * The classifier's logits [texts][numLabels], batched as `mini-llama finetune` trains: BOS + text, right-padded
 * with EOS under an attention mask, read at the last real token.
 */
export async function classifierLogits(
  classifier: SequenceClassifier,
  texts: readonly string[],
  tokenizer: Tokenizer,
  { batchSize = 16, maxLength, template, onProgress }: Omit<ClassifierEvaluationOptions, 'labelNames'> = {},
): Promise<number[][]> {
  const examples = texts.map((text) => ({ text, label: 0 }));
  const out: number[][] = [];
  const batches = classificationBatches(examples, tokenizer, {
    batchSize,
    maxLength: maxLength ?? contextLength(classifier.config),
    template,
  });
  for (const batch of batches) {
    const { batchSize: B, seqLen: T, inputs, attentionMask } = batch;
    const logits = tf.tidy(() => classifier.logits(tf.tensor2d(inputs, [B, T], 'int32'), attentionMask));
    const values = await logits.data();
    logits.dispose();
    for (let b = 0; b < B; b++) {
      out.push(Array.from(values.subarray(b * classifier.numLabels, (b + 1) * classifier.numLabels)));
    }
    onProgress?.({ done: out.length, total: texts.length });
  }
  return out;
}

export interface ClassifierEvaluation {
  metrics: ClassificationMetrics;
  predictions: number[];
  logits: number[][];
}

/** Runs a fine-tuned SequenceClassifier over labelled examples, batched, and scores its predictions. */
export async function evaluateClassifier(
  classifier: SequenceClassifier,
  examples: readonly ClassificationExample[],
  tokenizer: Tokenizer,
  { labelNames, ...options }: ClassifierEvaluationOptions = {},
): Promise<ClassifierEvaluation> {
  const names = labelNames ?? Array.from({ length: classifier.numLabels }, (_, i) => String(i));
  if (names.length !== classifier.numLabels) {
    throw new RangeError(
      `evaluateClassifier: ${names.length} label names for a classifier of ${classifier.numLabels} labels`,
    );
  }
  const logits = await classifierLogits(
    classifier,
    examples.map((example) => example.text),
    tokenizer,
    options,
  );
  const predictions = logits.map(argmax);
  const metrics = classificationMetrics(
    examples.map((example) => example.label),
    predictions,
    names,
  );
  return { metrics, predictions, logits };
}
