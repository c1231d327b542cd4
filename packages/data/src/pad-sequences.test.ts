import { describe, expect, it } from 'vitest';
import { padSequences } from './pad-sequences.js';

describe('padSequences', () => {
  const sequences = [[5, 6, 7], [8], [9, 10]];

  it('pads on the right with a mask of the real tokens', () => {
    const batch = padSequences(sequences, { padId: 0 });
    expect(batch.seqLen).toBe(3);
    expect(batch.batchSize).toBe(3);
    expect([...batch.inputs]).toEqual([5, 6, 7, 8, 0, 0, 9, 10, 0]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 0]);
    expect([...batch.lengths]).toEqual([3, 1, 2]);
  });

  it('pads on the left so that every last token is in the last column', () => {
    const batch = padSequences(sequences, { padId: 2, side: 'left' });
    expect([...batch.inputs]).toEqual([5, 6, 7, 2, 2, 8, 2, 9, 10]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 0, 0, 1, 0, 1, 1]);
  });

  it('truncates to maxLength keeping the start, and pads to a fixed width', () => {
    const cut = padSequences(sequences, { padId: 0, maxLength: 2 });
    expect([...cut.inputs]).toEqual([5, 6, 8, 0, 9, 10]);
    expect([...cut.lengths]).toEqual([2, 1, 2]);
    const wide = padSequences([[1]], { padId: 0, padTo: 4 });
    expect([...wide.inputs]).toEqual([1, 0, 0, 0]);
    expect(() => padSequences(sequences, { padId: 0, padTo: 2 })).toThrow(
      /padTo 2 is shorter than the longest row, 3/,
    );
  });
});
