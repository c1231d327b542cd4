// The label words of a prompt as token ids, as a zero-shot head needs them. A classifier that starts as the
// zero-shot model (texts in the task's prompt, the head from the LM head's rows of these tokens, see
// @mini-llama/wise-ft's verbalizerHead) and its fine-tuned self are two classifiers with the same inputs and
// the same kind of head: what makes WiSE-FT's interpolation of the head meaningful (as CLIP's zero-shot head
// is for the paper).
import { parseTaskSpec } from '@mini-llama/data';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { type PromptTemplate, promptForTask } from './prompt-template.js';
import { verbalizerSequences } from './verbalizer-scores.js';

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
