import { describe, expect, it } from 'vitest';
import { untagBrown, untagBrownSentences } from './brown-corpus.js';

describe('untagBrown', () => {
  const tagged =
    "\n\n\tThe/at jury/nn said/vbd ,/, ``/`` Atlanta's/np$ election/nn was/bedz fair/jj ''/'' ./.\n\n\n" +
    '\tIt/pps ended/vbd (/( at/in last/ap )/) ;/. 3/4/cd done/vbn !/.\n';

  it('drops tags, restores quotes and rejoins punctuation', () => {
    expect(untagBrown(tagged)).toBe(
      'The jury said, "Atlanta\'s election was fair". It ended (at last); 3/4 done!',
    );
  });

  it('keeps one sentence per line of Form C', () => {
    expect(untagBrownSentences(tagged)).toEqual([
      'The jury said, "Atlanta\'s election was fair".',
      'It ended (at last); 3/4 done!',
    ]);
  });
});
