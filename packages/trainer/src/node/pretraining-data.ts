// The token streams a pretraining run reads: prepared shards streamed from disk, or text / JSONL /
// TinyStories files prepared into shards inside the run directory first (and streamed the same way), so a
// file of any size trains in bounded memory and splits into train and validation like a prepared corpus.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type TokenSource } from '@mini-llama/data';
import { prepareCorpus, ShardedTokenSource } from '@mini-llama/data/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { openTokenizer } from '@mini-llama/tokenizer/node';
import type { RunConfig } from '../run-config.js';

export interface PretrainingData {
  train: TokenSource;
  validation: TokenSource | null;
  vocabSize: number;
  tokenizer: Tokenizer | null;
  /** How the run refers to its tokenizer (a path or a built-in name), and its file when it has one. */
  tokenizerName: string | null;
  tokenizerFile: string | null;
  close(): Promise<void>;
}

/** The corpus a run prepared from text files, inside its directory. */
export const RUN_CORPUS = 'corpus';

/** Opens a run's data (paths are absolute); text files are prepared into RUN/corpus unless already there. */
export async function openPretrainingData(
  config: RunConfig,
  directory: string,
  say: (message: string) => void,
): Promise<PretrainingData> {
  const paths = config.data.train;
  const isShards = await Promise.all(paths.map((path) => hasManifest(path)));
  const opened = config.data.tokenizer ? await openTokenizer(config.data.tokenizer) : null;
  let corpus: string;
  if (isShards.some(Boolean)) {
    if (paths.length !== 1 || !isShards[0]) {
      throw new Error('data.train: give one prepared shard directory, or text files (not both)');
    }
    corpus = paths[0]!;
  } else {
    if (!opened) {
      throw new Error('data.train: text files need a tokenizer (--tokenizer PATH, llama2 or bytes)');
    }
    corpus = join(directory, RUN_CORPUS);
    if (!(await hasManifest(corpus))) {
      say(`preparing ${paths.length} file${paths.length === 1 ? '' : 's'} into ${corpus}`);
      const manifest = await prepareCorpus({
        tokenizer: opened.tokenizer,
        tokenizerName: config.data.tokenizer!,
        inputs: paths,
        valInputs: config.data.validation ?? [],
        outDir: corpus,
        valFraction: config.data.valFraction,
        seed: config.training.seed,
      });
      say(
        `corpus: ${manifest.documents.train} training and ${manifest.documents.val} validation documents (or passages of a text file)`,
      );
    }
  }
  const train = await ShardedTokenSource.open(corpus, { split: 'train' });
  const validation = await ShardedTokenSource.open(corpus, { split: 'val' }).catch(() => null);
  if (train.length === 0) {
    await train.close();
    await validation?.close();
    throw new Error(
      `${corpus}: the training split holds no tokens (is valFraction too large for so few documents?)`,
    );
  }
  return {
    train,
    validation: validation && validation.length > 0 ? validation : null,
    vocabSize: train.manifest.vocabSize,
    tokenizer: opened?.tokenizer ?? null,
    tokenizerName:
      config.data.tokenizer ??
      (train.manifest.tokenizer?.name ? String(train.manifest.tokenizer.name) : null),
    tokenizerFile: opened?.file ?? null,
    close: async () => {
      await train.close();
      await validation?.close();
    },
  };
}

async function hasManifest(path: string): Promise<boolean> {
  return stat(join(path, MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
}
