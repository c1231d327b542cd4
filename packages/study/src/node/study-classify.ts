import { AG_NEWS_LABEL_WORDS, BROWN_TOPIC_LABEL_WORDS, SENTIMENT_LABEL_WORDS } from '@mini-llama/data';
import type { EvalSet } from '@mini-llama/data/node';
import type { PromptTemplate } from '@mini-llama/eval';
import { classificationJson, classifySets } from '@mini-llama/eval/node';
import { saveZeroShotClassifier } from '@mini-llama/wise-ft/node';
import type { SetsPredictions, ZeroShotResult } from '../results.js';
import { setsLabels } from './study-curves.js';

type Progress = (done: number, total: number) => void;

/**
 * The study's zero-shot prompt for a task: the passage and a line break, then each label's words (the Brown
 * topics' BROWN_TOPIC_LABEL_WORDS, SENTIMENT_LABEL_WORDS, AG_NEWS_LABEL_WORDS), i.e. which words the model
 * expects to come next. The Brown corpus the study pretrains on has no line breaks inside documents, so the model
 * reads the break as a new paragraph to come, and its guess rests on the passage as a whole rather than on its
 * last word (docs/results.md measures both). Label words are keyed by label name, so any label order works.
 */
export function studyZeroShotPrompt(
  task: 'brown' | 'sst2' | 'ag_news',
  labelNames: readonly string[],
): { prompt: PromptTemplate; labelWords: Readonly<Record<string, readonly string[]>> } {
  const labelWords =
    task === 'brown'
      ? BROWN_TOPIC_LABEL_WORDS
      : task === 'sst2'
        ? SENTIMENT_LABEL_WORDS
        : AG_NEWS_LABEL_WORDS;
  const missing = labelNames.filter((name) => !(name in labelWords));
  if (missing.length > 0) {
    throw new Error(
      `the ${task} study has no label words for ${missing.join(', ')} (labels: ${labelNames.join(', ')})`,
    );
  }
  return { prompt: { template: '{text}\n', verbalizers: labelNames.map((name) => ` ${name}`) }, labelWords };
}

/** How the study's zero-shot classifier reads texts and which words make each label's row. */
export interface ZeroShotHeadSpec {
  labelNames: readonly string[];
  prompt: PromptTemplate;
  labelWords?: Readonly<Record<string, readonly string[]>>;
  /** Unlabelled in-domain texts the head is centred on. */
  centreOn: readonly string[];
  maxLength: number;
}

/**
 * The zero-shot stage: the pretrained model made a classifier (saveZeroShotClassifier: label-word rows of its
 * LM head, centred on unlabelled in-domain texts) at `out`, and its predictions on every set.
 */
export async function zeroShotStage(
  model: string,
  spec: ZeroShotHeadSpec,
  out: string,
  id: EvalSet,
  ood: readonly EvalSet[],
  progress: Progress,
): Promise<ZeroShotResult> {
  const { path, record } = await saveZeroShotClassifier({ model, ...spec, out });
  const result = await classifySets({
    model: path,
    id,
    ood,
    onProgress: ({ done, total }) => progress(done, total),
  });
  return {
    evaluation: { ...classificationJson(result), prompt: spec.prompt },
    labels: setsLabels(id, ood),
    predictions: { id: result.id.predictions, ood: result.ood.map((set) => set.predictions) },
    head: record,
    path,
  };
}

/** What a fine-tuned classifier (a model, or a base with a classification adapter) predicts on every set. */
export async function setsPredictions(
  model: string,
  adapters: readonly string[],
  id: EvalSet,
  ood: readonly EvalSet[],
  progress: Progress,
  say: (message: string) => void,
): Promise<SetsPredictions> {
  const result = await classifySets({
    model,
    adapters,
    id,
    ood,
    onProgress: ({ done, total }) => progress(done, total),
    onMessage: say,
  });
  return { id: result.id.predictions, ood: result.ood.map((set) => set.predictions) };
}
