import { describe, expect, it } from 'vitest';
import { AG_NEWS_PROMPT, fillPrompt, genericPrompt, promptForTask, SST2_PROMPT } from './prompt-template.js';

describe('prompt templates', () => {
  it('fills every slot literally', () => {
    expect(fillPrompt(SST2_PROMPT.template, 'a fine film')).toBe('Review: a fine film\nSentiment:');
    expect(fillPrompt('{text} / {text}', '$& costs $1')).toBe('$& costs $1 / $& costs $1');
    expect(() => fillPrompt('no slot', 'x')).toThrow(/has no \{text\} slot/);
  });

  it('picks the prompt of a task, and a generic one from label names otherwise', () => {
    expect(promptForTask('sst2', ['negative', 'positive'])).toBe(SST2_PROMPT);
    expect(promptForTask('uci', ['negative', 'positive'])).toBe(SST2_PROMPT);
    expect(promptForTask('ag_news', ['World', 'Sports', 'Business', 'Sci/Tech'])).toBe(AG_NEWS_PROMPT);
    expect(promptForTask('tsv', ['spam', 'ham'])).toEqual(genericPrompt(['spam', 'ham']));
    expect(genericPrompt(['spam', 'ham']).verbalizers).toEqual([' spam', ' ham']);
    expect(() => promptForTask('sst2', ['a', 'b', 'c'])).toThrow(
      /the sst2 prompt has 2 labels, the dataset 3/,
    );
  });
});
