// Tokens that attach to the word before them, and opening tokens the next word attaches to.
const CLOSING = /^(?:[.,;:!?)\]}]+|''|')$/;
const OPENING = /^(?:``|`|[([{])$/;

/**
 * Brown corpus Form C (Francis & Kučera 1964/1979; one sentence per line, every token `word/tag`) → plain
 * sentences: drops the `/tag` of every token, turns the `` and '' quote tokens back into ", and rejoins
 * punctuation to its word ("said , ``  no" → 'said, "no').
 */
export function untagBrownSentences(tagged: string): string[] {
  const sentences: string[] = [];
  for (const line of tagged.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    let sentence = '';
    let attachNext = true;
    for (const token of tokens) {
      const slash = token.lastIndexOf('/');
      const word = slash > 0 ? token.slice(0, slash) : token;
      const text = word === '``' || word === "''" ? '"' : word;
      if (!attachNext && !CLOSING.test(word)) sentence += ' ';
      sentence += text;
      attachNext = OPENING.test(word);
    }
    sentences.push(sentence);
  }
  return sentences;
}

/** A whole Form C sample as one plain text, sentences joined by spaces. */
export function untagBrown(tagged: string): string {
  return untagBrownSentences(tagged).join(' ');
}
