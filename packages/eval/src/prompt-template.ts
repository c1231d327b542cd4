import { fillTemplate, TEXT_SLOT } from '@mini-llama/data';

/**
 * A zero-shot prompt: the text goes where `{text}` stands, and each label is scored as the continuation
 * `verbalizers[label]` of the filled prompt.
 */
export interface PromptTemplate {
  template: string;
  /** One continuation per label, index = label; a word after a space, as it would follow the prompt. */
  verbalizers: readonly string[];
}

export { TEXT_SLOT };

/**
 * GLUE SST-2 (labels 0 negative, 1 positive), Zhao et al. 2021's sentiment format ("Review: … Sentiment:")
 * with lower-case label words, the way they appear in running text. Also used for the UCI sentiment sets.
 */
export const SST2_PROMPT: PromptTemplate = {
  template: 'Review: {text}\nSentiment:',
  verbalizers: [' negative', ' positive'],
};

/**
 * AG News (labels World, Sports, Business, Sci/Tech). "Sci/Tech" is verbalised as " Technology", as in
 * Zhao et al. 2021's AGNews prompt: one common word rather than a slash compound, and most of the class is
 * about technology companies and products rather than science. The label word follows "Topic:", which names
 * what is asked better for a small model than their "Answer:".
 */
export const AG_NEWS_PROMPT: PromptTemplate = {
  template: 'Article: {text}\nTopic:',
  verbalizers: [' World', ' Sports', ' Business', ' Technology'],
};

/** Any labelled set: "{text}\nLabel:" with each label's name after a space. */
export function genericPrompt(labelNames: readonly string[]): PromptTemplate {
  return { template: '{text}\nLabel:', verbalizers: labelNames.map((name) => ` ${name}`) };
}

/** The prompt used for a task name (as in TASKSPECs): sst2 and uci → SST-2's, ag_news → AG News's, else generic. */
export function promptForTask(task: string, labelNames: readonly string[]): PromptTemplate {
  const prompt = task === 'sst2' || task === 'uci' ? SST2_PROMPT : task === 'ag_news' ? AG_NEWS_PROMPT : null;
  if (!prompt) return genericPrompt(labelNames);
  if (prompt.verbalizers.length !== labelNames.length) {
    throw new Error(
      `promptForTask: the ${task} prompt has ${prompt.verbalizers.length} labels, the dataset ${labelNames.length} (${labelNames.join(', ')})`,
    );
  }
  return prompt;
}

/** The prompt for one text: every `{text}` replaced (literally: `$` in the text is kept as written). */
export function fillPrompt(template: string, text: string): string {
  try {
    return fillTemplate(template, text);
  } catch (error) {
    throw new Error(`fillPrompt: ${(error as Error).message}`);
  }
}
