import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../test/shared-data.js';
import { splitTinyStories, TinyStoriesSplitter } from './tinystories.js';

describe('splitTinyStories', () => {
  const text = readFileSync(fixture('stories.txt'), 'utf8');

  it('cuts at <|endoftext|> lines, trims each story, keeps inner blank lines, drops empty ones', () => {
    const stories = splitTinyStories(text);
    expect(stories).toHaveLength(5); // six separators' worth of pieces, one of them empty
    expect(stories[0]).toBe(
      'Tom had a red kite. He ran up the hill and the kite went up into the sky.\n"Look, Mom!" he said. Mom smiled and waved.',
    );
    expect(stories[1]).toContain('beach.\n\nShe held');
    expect(stories[4]).toBe(
      'Ben and Sue baked a cake. It was too sweet, so they shared it with all their friends.',
    );
  });

  it('streams line by line to the same documents, and cuts inside a line too', () => {
    const splitter = new TinyStoriesSplitter();
    const streamed = text.split('\n').flatMap((line) => splitter.push(line));
    expect([...streamed, ...splitter.finish()]).toEqual(splitTinyStories(text));
    expect(splitTinyStories('one<|endoftext|>two <|endoftext|> three')).toEqual(['one', 'two', 'three']);
  });
});

describe.skipIf(!hasSharedData('tinystories'))(`TinyStoriesV2 sample${needs('tinystories')}`, () => {
  it('has the 5 stories its PROVENANCE describes', () => {
    const stories = splitTinyStories(
      readFileSync(sharedData('tinystories/tinystories_v2_sample_cs336.txt'), 'utf8'),
    );
    expect(stories).toHaveLength(5);
    expect(stories[0]).toMatch(/^Once upon a time there was a little boy named Ben\./);
    expect(stories.every((story) => !story.includes('<|endoftext|>'))).toBe(true);
  });
});
