// A classifier that starts as the zero-shot model: texts in the task's prompt, the head from the LM head's
// verbalizer rows. Fine-tuned this way, the pretrained model (α = 0) and the fine-tuned one (α = 1) are two
// classifiers with the same inputs and the same kind of head, which is what makes WiSE-FT's interpolation of
// the head meaningful (as CLIP's zero-shot head is for the paper).
import { parseTaskSpec } from '@mini-llama/data';
import { type PromptTemplate, promptForTask, verbalizerSequences } from '@mini-llama/eval';
import type { LlamaModel, NamedTensor, SequenceClassifier, StateDict } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { lmHeadOf, verbalizerHead } from '@mini-llama/wise-ft';
import * as tf from '@tensorflow/tfjs-core';

/** The prompt a TASKSPEC's task is asked with (sst2 and uci: sentiment words; ag_news: topics; else generic). */
export function promptForTaskSpec(spec: string, labelNames: readonly string[]): PromptTemplate {
  return promptForTask(parseTaskSpec(spec).task, labelNames);
}

/**
 * Each label's verbalizer tokens as they follow the prompt (the tokens zero-shot scoring scores, found the
 * same way: the prompt encoded alone and with the verbalizer).
 */
export function verbalizerTokenIds(tokenizer: Tokenizer, prompt: PromptTemplate): number[][] {
  return verbalizerSequences(tokenizer, prompt, '', Number.MAX_SAFE_INTEGER).map(({ tokens, scoreFrom }) =>
    tokens.slice(scoreFrom),
  );
}

/**
 * The prompt with the label words' shared leading tokens moved into the template. A head row per label is the
 * LM-head row of the label's first token, so first tokens must differ: with a byte-level tokenizer " negative"
 * and " positive" both start with " ", which then ends the template instead ("…Sentiment: " + "negative").
 * Label scores by summed log-likelihood keep their order (the shared tokens score the same for every label).
 */
export function withDistinctFirstTokens(tokenizer: Tokenizer, prompt: PromptTemplate): PromptTemplate {
  const ids = verbalizerTokenIds(tokenizer, prompt);
  let shared = 0;
  while (ids.every((tokens) => tokens.length > shared + 1 && tokens[shared] === ids[0]![shared])) shared++;
  const adjusted =
    shared === 0
      ? prompt
      : {
          template: prompt.template + tokenizer.decode(ids[0]!.slice(0, shared)),
          verbalizers: ids.map((tokens) => tokenizer.decode(tokens.slice(shared))),
        };
  const first = verbalizerTokenIds(tokenizer, adjusted).map((tokens) => tokens[0]);
  const repeated = first.findIndex((token, label) => first.indexOf(token) !== label);
  if (repeated >= 0) {
    throw new Error(
      `the label words ${adjusted.verbalizers.map((word) => JSON.stringify(word)).join(', ')} do not start with distinct tokens (label ${repeated}'s first token is another label's): a zero-shot head needs one distinct token per label`,
    );
  }
  return adjusted;
}

/**
 * The zero-shot head of a language model for a prompt: `score.weight` [numLabels, dim], row c = the LM-head
 * row of the first token of label c's verbalizer. With the prompt's inputs, its argmax is zero-shot
 * classification by the first verbalizer token.
 */
export function zeroShotHead(
  languageModel: StateDict,
  tokenizer: Tokenizer,
  prompt: PromptTemplate,
): NamedTensor {
  return verbalizerHead(lmHeadOf(languageModel), verbalizerTokenIds(tokenizer, prompt));
}

/** Sets a classifier's head to a `score.weight` [numLabels, dim] (HF layout; ours is its transpose). */
export function setClassifierHead(classifier: SequenceClassifier, head: NamedTensor): void {
  const [numLabels, dim] = head.shape as [number, number];
  if (numLabels !== classifier.numLabels || dim !== classifier.config.dim) {
    throw new Error(
      `a head of [${head.shape}] does not fit a classifier of ${classifier.numLabels} labels on dim ${classifier.config.dim}`,
    );
  }
  tf.tidy(() => classifier.score.weight.assign(tf.transpose(tf.tensor2d(head.data, [numLabels, dim]))));
}

/** Starts a classifier on `model` as its zero-shot self for `prompt`. */
export async function initialiseZeroShotHead(
  classifier: SequenceClassifier,
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: PromptTemplate,
): Promise<void> {
  setClassifierHead(classifier, zeroShotHead(await model.stateDict(), tokenizer, prompt));
}
