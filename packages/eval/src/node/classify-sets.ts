// Classification of labelled sets by a model on disk: a fine-tuned classifier (head beside the weights, or a
// SEQ_CLS adapter) or zero-shot label scoring, in domain and out of domain, with a report.
import { checkTokenizerMatchesModel } from '@mini-llama/data';
import type { EvalSet } from '@mini-llama/data/node';
import type { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { mergeAdapterDirectories } from '@mini-llama/peft-lora/node';
import { tokenizerForModel } from '@mini-llama/tokenizer/node';
import { type ClassificationMetrics, classificationMetrics } from '../classification-metrics.js';
import {
  classifierPredictor,
  type IdOodReport,
  idOodReport,
  type Predictor,
  zeroShotPredictor,
} from '../id-ood.js';
import { type PromptTemplate, promptForTask } from '../prompt-template.js';
import { confusionMatrixSection, idOodTable, metricsTable, type ReportSection } from '../report/sections.js';
import { contentFreeLabelProbabilities, DEFAULT_CONTENT_FREE } from '../zero-shot.js';
import { loadClassifierModel, merged } from './load-adapted-classifier.js';

export interface ZeroShotSettings {
  /** The prompt and label words; default: the in-domain task's (promptForTask). */
  prompt?: Partial<PromptTemplate>;
  /** Contextual calibration (Zhao et al. 2021) against a content-free input. */
  calibrate?: boolean;
  /** Score a label by its mean token log-probability, not the sum. */
  lengthNormalize?: boolean;
}

export interface ClassifySetsOptions {
  /** Weights (absolute path): a fine-tuned classifier's, or a language model's for zero-shot scoring. */
  model: string;
  /** LoRA adapter directories: language-model ones merged in order, a classification one last. */
  adapters?: readonly string[];
  /** A tokenizer name or path; default: the one beside the model. */
  tokenizer?: string;
  id: EvalSet;
  ood?: readonly EvalSet[];
  /** Zero-shot label scoring instead of a fine-tuned head. */
  zeroShot?: ZeroShotSettings | null;
  batchSize?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
  onMessage?: (message: string) => void;
}

export interface SetResult {
  name: string;
  metrics: ClassificationMetrics;
  /** The true label of each example (the set's label order). */
  labels: number[];
  /** The predicted label of each example, in the set's label order. */
  predictions: number[];
}

export interface ClassificationRun {
  mode: 'zero-shot' | 'classifier';
  id: SetResult;
  ood: SetResult[];
  idOod: IdOodReport | null;
  labelNames: string[];
  /** Zero-shot: the prompt and label words, the calibration, the scoring. */
  prompt: PromptTemplate | null;
  calibration: { contentFree: readonly string[]; probabilities: number[] } | null;
  lengthNormalize: boolean;
}

/** Accuracy, macro-F1, per-class metrics and confusion matrices of a classifier or zero-shot scoring. */
export async function classifySets(options: ClassifySetsOptions): Promise<ClassificationRun> {
  const { id, ood = [], zeroShot = null, batchSize = 16 } = options;
  const onMessage = options.onMessage ?? (() => {});
  const tokenizer = (await tokenizerForModel(options.model, {
    given: options.tokenizer,
    required: 'the texts must be tokenized',
  }))!;
  const labelNames = id.dataset.labelNames;
  let model: LlamaModel;
  let classifier: SequenceClassifier | null = null;
  let prompt: PromptTemplate | null = null;
  let classifierPrompt: PromptTemplate | null = null; // the prompt a classifier was fine-tuned in
  let classifierMaxLength: number | null = null; // the longest input it was fine-tuned on
  let labelOrder: number[] | null = null; // classifier label → set label, when they are named in another order
  if (zeroShot) {
    prompt = zeroShotPrompt(zeroShot, id);
    model = (await loadModel(options.model)).model;
  } else {
    const loaded = await loadClassifierModel(options.model, options.adapters ?? [], onMessage);
    ({ model, classifier } = loaded);
    classifierPrompt = loaded.prompt;
    classifierMaxLength = loaded.maxLength;
    try {
      labelOrder = matchLabels(loaded.labelNames, labelNames, id.name);
    } catch (error) {
      classifier.dispose();
      model.dispose();
      throw error;
    }
  }
  try {
    if (!classifier) await mergeAdapterDirectories(model, options.adapters ?? [], merged(onMessage));
    checkTokenizerMatchesModel(tokenizer.tokenizer, model.config.vocabSize, tokenizer.name);
    let contentFree: number[] | null = null;
    let predict: Predictor;
    if (classifier) {
      const byIndex = classifierPredictor(classifier, tokenizer.tokenizer, {
        batchSize,
        template: classifierPrompt?.template,
        maxLength: classifierMaxLength ?? undefined,
        onProgress: options.onProgress,
      });
      predict = labelOrder
        ? async (texts) => (await byIndex(texts)).map((label) => labelOrder![label]!)
        : byIndex;
    } else {
      const scoring = { batchSize, lengthNormalize: zeroShot?.lengthNormalize ?? false };
      if (zeroShot?.calibrate) {
        contentFree = await contentFreeLabelProbabilities(
          model,
          tokenizer.tokenizer,
          prompt!,
          DEFAULT_CONTENT_FREE,
          scoring,
        );
      }
      predict = zeroShotPredictor(model, tokenizer.tokenizer, prompt!, {
        ...scoring,
        onProgress: options.onProgress,
        calibrate: zeroShot?.calibrate ?? false,
        contentFreeProbabilities: contentFree ?? undefined,
      });
    }
    const evaluate = async ({ name, dataset }: EvalSet): Promise<SetResult> => {
      const predictions = await predict(dataset.examples.map((example) => example.text));
      const labels = dataset.examples.map((example) => example.label);
      return { name, metrics: classificationMetrics(labels, predictions, labelNames), labels, predictions };
    };
    const idResult = await evaluate(id);
    const oodResults: SetResult[] = [];
    for (const set of ood) oodResults.push(await evaluate(set));
    return {
      mode: zeroShot ? 'zero-shot' : 'classifier',
      id: idResult,
      ood: oodResults,
      idOod: ood.length > 0 ? idOodReport(idResult, oodResults) : null,
      labelNames,
      prompt,
      calibration: contentFree ? { contentFree: DEFAULT_CONTENT_FREE, probabilities: contentFree } : null,
      lengthNormalize: zeroShot?.lengthNormalize ?? false,
    };
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}

/**
 * How a classifier's labels map onto a set's, by name: null when they are the same in the same order, else
 * the set's index of each classifier label. Sets of names that differ are refused: comparing labels by
 * position would score another task.
 */
export function matchLabels(
  classifierLabels: readonly string[],
  setLabels: readonly string[],
  setName: string,
): number[] | null {
  const same =
    classifierLabels.length === setLabels.length &&
    [...classifierLabels].sort().every((name, i) => name === [...setLabels].sort()[i]);
  if (!same) {
    throw new Error(
      `the classifier's labels (${classifierLabels.join(', ')}) are not ${setName}'s (${setLabels.join(', ')}): it was fine-tuned on another task`,
    );
  }
  if (classifierLabels.every((name, i) => name === setLabels[i])) return null;
  return classifierLabels.map((name) => setLabels.indexOf(name));
}

function zeroShotPrompt({ prompt }: ZeroShotSettings, id: EvalSet): PromptTemplate {
  const labelNames = id.dataset.labelNames;
  let base: PromptTemplate | null = null;
  try {
    base = promptForTask(id.task, labelNames);
  } catch (error) {
    if (!prompt?.template || !prompt.verbalizers) {
      throw new Error(`${(error as Error).message}: give a template and label words for this dataset`);
    }
  }
  const verbalizers = prompt?.verbalizers ?? base!.verbalizers;
  if (verbalizers.length !== labelNames.length) {
    throw new Error(
      `${verbalizers.length} label words for ${labelNames.length} labels (${labelNames.join(', ')})`,
    );
  }
  return { template: prompt?.template ?? base!.template, verbalizers };
}

/** The sections of a classification report: method, summary, per-class metrics, confusion matrices. */
export function classificationReportSections(run: ClassificationRun): ReportSection[] {
  const { prompt, calibration, id, ood, idOod } = run;
  const how = prompt
    ? [
        `**Zero-shot**: each label is scored by the log-likelihood of its words after the prompt \`${JSON.stringify(prompt.template)}\`;`,
        `label words ${prompt.verbalizers.map((word) => `\`${JSON.stringify(word)}\``).join(', ')}.`,
        calibration
          ? `Calibrated (Zhao et al. 2021) against the content-free input ${JSON.stringify(calibration.contentFree[0])}, whose label probabilities were ${calibration.probabilities.map((p) => p.toFixed(4)).join(', ')}.`
          : '',
      ].join(' ')
    : '**Fine-tuned classifier**: the sequence-classification head (`classifier.safetensors`) on the last real token.';
  const summary: ReportSection = idOod
    ? idOodTable(idOod, 'Accuracy in and out of domain')
    : {
        type: 'table',
        title: 'Summary',
        columns: ['set', 'n', 'accuracy', 'macro F1'],
        rows: [[id.name, id.metrics.n, id.metrics.accuracy, id.metrics.macroF1]],
      };
  return [
    { type: 'markdown', title: 'Method', markdown: how },
    summary,
    metricsTable(id.metrics, `Per-class metrics: ${id.name}`),
    confusionMatrixSection(id.metrics, `Confusion matrix: ${id.name}`),
    ...ood.map(({ name, metrics }) => confusionMatrixSection(metrics, `Confusion matrix: ${name} (OOD)`)),
  ];
}

/**
 * A classification run as plain JSON (what `mini-llama eval classify --json` prints). With `examples`, also every
 * set's labels and predictions, so several runs (seeds) can be pooled into an interval (`estimate`).
 */
export function classificationJson(run: ClassificationRun, { examples = false } = {}) {
  const { metrics } = run.id;
  return {
    mode: run.mode,
    data: run.id.name,
    n: metrics.n,
    accuracy: metrics.accuracy,
    macroF1: metrics.macroF1,
    labelNames: run.labelNames,
    perClass: metrics.perClass,
    confusion: metrics.confusion,
    ...(run.prompt
      ? { prompt: run.prompt, calibration: run.calibration, lengthNormalize: run.lengthNormalize }
      : {}),
    ...(run.idOod ? { idOod: run.idOod } : {}),
    ...(examples
      ? {
          sets: [run.id, ...run.ood].map(({ name, labels, predictions }, i) => ({
            name,
            role: i === 0 ? ('id' as const) : ('ood' as const),
            labels,
            predictions,
          })),
        }
      : {}),
  };
}

/** What `classificationJson` gives. */
export type ClassificationJson = ReturnType<typeof classificationJson>;
