import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '@mini-llama/formats/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { assignSplit, type SplitName } from '../document-split.js';
import { encodeDocument } from '../pack-documents.js';
import type { PretrainingFormat } from '../pretraining-documents.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, type ShardManifest, tokenDtypeFor } from '../shard-manifest.js';
import { detectPretrainingFormat, readDocuments } from './read-documents.js';
import { ShardWriter } from './shard-writer.js';

export interface PrepareCorpusOptions {
  tokenizer: Tokenizer;
  /** Recorded in the manifest: the tokenizer file's name, and its SHA-256 when known. */
  tokenizerName: string;
  tokenizerSha256?: string;
  inputs: readonly string[];
  /** Files whose documents all go to validation; the `inputs` then all go to training (no hash split). */
  valInputs?: readonly string[];
  outDir: string;
  format?: PretrainingFormat | 'auto';
  textField?: string;
  valFraction?: number; // 0.1
  seed?: number; // 0
  /** Tokens per shard file: 2^26 (128 MiB of uint16) by default, as big as one read of a file stays cheap. */
  shardTokens?: number;
  /** Called after each document, e.g. for a progress line. */
  onDocument?: (documents: number, tokens: number) => void;
}

export const DEFAULT_SHARD_TOKENS = 1 << 26;

/** Tokens per passage of a plain text file (each passage goes to train or val by a hash of its tokens). */
export const TEXT_PASSAGE_TOKENS = 1024;

/** A text file's tokens cut into passages, each with the key its split is decided by (its token ids). */
function textPassages(tokens: number[]): { tokens: number[]; key: string }[] {
  const passages = [];
  for (let start = 0; start < tokens.length; start += TEXT_PASSAGE_TOKENS) {
    const passage = tokens.slice(start, start + TEXT_PASSAGE_TOKENS);
    passages.push({ tokens: passage, key: passage.join(',') });
  }
  return passages;
}

const SHARD_FILE = /^(train|val)-\d{5}\.bin$/;

/**
 * Tokenises pretraining files into llama2.c-style shards and writes `manifest.json` beside them. Each
 * document becomes BOS + its tokens; a seeded hash of its text sends it to train or val (assignSplit). A plain
 * text file (one document) is split by passages of TEXT_PASSAGE_TOKENS tokens instead, each counted as a
 * document of its split.
 * Streams: memory holds one document and one write buffer per split, so the corpus may exceed memory.
 *
 * The manifest is written last and atomically, and an older one is removed first, together with shard
 * files of an earlier run: a directory with a manifest always describes complete shards.
 */
export async function prepareCorpus({
  tokenizer,
  tokenizerName,
  tokenizerSha256,
  inputs,
  valInputs = [],
  outDir,
  format = 'auto',
  textField,
  valFraction = 0.1,
  seed = 0,
  shardTokens = DEFAULT_SHARD_TOKENS,
  onDocument,
}: PrepareCorpusOptions): Promise<ShardManifest> {
  if (inputs.length === 0) throw new Error('prepareCorpus: no input files');
  // With explicit validation files, the hash split is off: train files train, validation files validate.
  const rule = { valFraction: valInputs.length > 0 ? 0 : valFraction, seed };
  assignSplit('', rule); // validates valFraction before any file is touched

  await mkdir(outDir, { recursive: true });
  await rm(join(outDir, MANIFEST_FILE), { force: true });
  for (const name of await readdir(outDir)) {
    if (SHARD_FILE.test(name)) await rm(join(outDir, name));
  }

  const dtype = tokenDtypeFor(tokenizer.vocabSize);
  const writers: Record<SplitName, ShardWriter> = {
    train: new ShardWriter({
      directory: outDir,
      split: 'train',
      dtype,
      vocabSize: tokenizer.vocabSize,
      shardTokens,
    }),
    val: new ShardWriter({
      directory: outDir,
      split: 'val',
      dtype,
      vocabSize: tokenizer.vocabSize,
      shardTokens,
    }),
  };
  const documents: Record<SplitName, number> = { train: 0, val: 0 };
  try {
    const sources = [
      ...inputs.map((file) => ({ file, val: false })),
      ...valInputs.map((file) => ({ file, val: true })),
    ];
    for (const { file, val } of sources) {
      const fileFormat = format === 'auto' ? await detectPretrainingFormat(file) : format;
      for await (const text of readDocuments(file, {
        format: fileFormat,
        ...(textField ? { textField } : {}),
      })) {
        // A plain text file is one document: it is split by passages of its tokens, so that it trains and
        // validates like a corpus of many documents instead of landing whole on one side.
        const passages =
          fileFormat === 'text'
            ? textPassages(encodeDocument(tokenizer, text))
            : [{ tokens: encodeDocument(tokenizer, text), key: text }];
        for (const { tokens, key } of passages) {
          const split: SplitName = val ? 'val' : assignSplit(key, rule);
          await writers[split].append(tokens);
          documents[split]++;
        }
        onDocument?.(documents.train + documents.val, writers.train.tokens + writers.val.tokens);
      }
    }
  } catch (error) {
    await Promise.all([writers.train.abort(), writers.val.abort()]);
    throw error;
  }
  const shards = [...(await writers.train.close()), ...(await writers.val.close())];
  const manifest: ShardManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    tokenizer: {
      name: tokenizerName,
      ...(tokenizerSha256 ? { sha256: tokenizerSha256 } : {}),
      bosId: tokenizer.bosId,
      eosId: tokenizer.eosId,
    },
    vocabSize: tokenizer.vocabSize,
    dtype,
    documents,
    split: { rule: 'fnv1a-hash', ...rule },
    shards,
  };
  await writeAtomic(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
