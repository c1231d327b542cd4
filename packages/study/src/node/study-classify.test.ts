import { AG_NEWS_LABEL_WORDS, AG_NEWS_LABELS, SENTIMENT_LABEL_WORDS, SST2_LABELS } from '@mini-llama/data';
import { describe, expect, it } from 'vitest';
import { studyZeroShotPrompt } from './study-classify.js';

describe('studyZeroShotPrompt', () => {
  it('gives every task label words by name, so a TSV’s sorted label order still finds its own words', () => {
    const sorted = [...AG_NEWS_LABELS].sort(); // Business, Sci/Tech, Sports, World: as the study's TSV files give them
    const { prompt, labelWords } = studyZeroShotPrompt('ag_news', sorted);
    expect(prompt).toEqual({ template: '{text}\n', verbalizers: sorted.map((name) => ` ${name}`) });
    expect(labelWords['Sci/Tech']).toContain(' software');
    expect(studyZeroShotPrompt('sst2', SST2_LABELS).labelWords.negative).toContain(' awful');
    expect(studyZeroShotPrompt('brown', ['fiction', 'press']).labelWords['fiction']).toContain(' she');
  });

  it('names a label it has no words for', () => {
    expect(() => studyZeroShotPrompt('sst2', ['negative', 'neutral', 'positive'])).toThrow(
      'the sst2 study has no label words for neutral (labels: negative, neutral, positive)',
    );
  });

  it('keeps each task’s lists disjoint: no word stands for two labels', () => {
    for (const words of [SENTIMENT_LABEL_WORDS, AG_NEWS_LABEL_WORDS]) {
      const all = Object.values(words).flat();
      expect(new Set(all).size).toBe(all.length);
      for (const word of all) expect(word).toMatch(/^ \S+$/);
    }
  });
});
