import { DataFormatError } from './data-format-error.js';
import type { SplitName } from './document-split.js';
import { VocabularyMismatchError } from './vocabulary-check.js';

/** How token ids are stored: little-endian, 2 bytes while ids fit (llama2.c's uint16), else 4. */
export type TokenDtype = 'uint16' | 'uint32';

export const MANIFEST_FORMAT = 'mini-llama/token-shards';
export const MANIFEST_FILE = 'manifest.json';

export interface ShardInfo {
  /** File name relative to the manifest's directory. */
  file: string;
  split: SplitName;
  tokens: number;
}

/**
 * `manifest.json` beside pretokenised shards. Each split's shards, in the order listed, form one token
 * stream: the documents of that split, each as BOS + its tokens, concatenated. Shard files are flat arrays
 * of `dtype` ids with no header, exactly llama2.c's `data*.bin`, so its tools can read them too.
 */
export interface ShardManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  /** The tokenizer the ids come from: the file's name, its SHA-256 when known, and its special ids. */
  tokenizer: { name: string; sha256?: string; bosId: number; eosId: number };
  vocabSize: number;
  dtype: TokenDtype;
  /** Documents per split. */
  documents: Record<SplitName, number>;
  /** The rule that put each document in its split (see assignSplit). */
  split: { rule: 'fnv1a-hash'; seed: number; valFraction: number };
  shards: ShardInfo[];
}

/**
 * uint16 (llama2.c's dtype) for vocabularies of up to 65,535 tokens, uint32 beyond. A vocabulary of exactly
 * 65,536 would still fit uint16; the rule is kept one short so that "vocabSize > 65,535 → uint32" is all a
 * reader in another language has to know.
 */
export function tokenDtypeFor(vocabSize: number): TokenDtype {
  return vocabSize > 65_535 ? 'uint32' : 'uint16';
}

export function bytesPerToken(dtype: TokenDtype): 2 | 4 {
  return dtype === 'uint16' ? 2 : 4;
}

/** Validates a parsed manifest.json; `file` names it in errors. */
export function parseShardManifest(json: unknown, file: string): ShardManifest {
  const fail = (problem: string): never => {
    throw new DataFormatError(file, null, problem);
  };
  if (typeof json !== 'object' || json === null) fail('expected a JSON object');
  const manifest = json as Partial<ShardManifest>;
  if (manifest.format !== MANIFEST_FORMAT)
    fail(`format must be '${MANIFEST_FORMAT}', got ${JSON.stringify(manifest.format)}`);
  if (manifest.version !== 1)
    fail(`unsupported version ${JSON.stringify(manifest.version)} (this reader knows 1)`);
  if (!Number.isInteger(manifest.vocabSize) || manifest.vocabSize! <= 0)
    fail('vocabSize must be a positive integer');
  if (manifest.dtype !== 'uint16' && manifest.dtype !== 'uint32')
    fail(`dtype must be uint16 or uint32, got ${JSON.stringify(manifest.dtype)}`);
  if (manifest.dtype === 'uint16' && manifest.vocabSize! > 65_536)
    fail(`dtype uint16 cannot hold vocabSize ${manifest.vocabSize}`);
  if (!Array.isArray(manifest.shards)) fail('shards must be an array');
  manifest.shards!.forEach((shard, index) => {
    if (typeof shard?.file !== 'string' || shard.file.includes('..'))
      fail(`shards[${index}].file must be a file name`);
    if (shard.split !== 'train' && shard.split !== 'val') fail(`shards[${index}].split must be train or val`);
    if (!Number.isInteger(shard.tokens) || shard.tokens < 0)
      fail(`shards[${index}].tokens must be an integer ≥ 0`);
  });
  return manifest as ShardManifest;
}

/** Throws unless the shards were tokenised for a model with `vocabSize` embedding rows. */
export function checkManifestMatchesModel(
  manifest: ShardManifest,
  vocabSize: number,
  file = MANIFEST_FILE,
): void {
  if (manifest.vocabSize !== vocabSize) {
    throw new VocabularyMismatchError(
      `${file}: the shards were tokenised with ${manifest.tokenizer.name} (vocabSize ${manifest.vocabSize}) ` +
        `but the model's vocabulary has ${vocabSize}: prepare the data again with the model's tokenizer`,
    );
  }
}
