import type { Tokenizer } from '@mini-llama/tokenizer';
import type { ClassificationExample } from './classification-dataset.js';
import { type PaddedBatch, type PadOptions, padSequences } from './pad-sequences.js';
import { shuffle } from './shuffle.js';

/** A padded batch of tokenised texts and their labels. */
export interface ClassificationBatch extends PaddedBatch {
  labels: Int32Array; // [batchSize]
}

export interface ClassificationBatchOptions extends Partial<PadOptions> {
  batchSize: number;
  /** Shuffle the examples first with this seed; keep the file order when absent. */
  seed?: number;
  /** Prepend BOS (default true, as Llama sees every text) / append EOS (default false). */
  bos?: boolean;
  eos?: boolean;
  /** Keep the last, smaller batch (default true; drop it for fixed-shape training). */
  keepLast?: boolean;
}

/**
 * Tokenises and pads examples batch by batch (each text is encoded when its batch is made, so a large set
 * costs no more memory than a batch). Pads with EOS unless told (Llama 2 has no pad token; every padded
 * position is masked out anyway).
 */
export function* classificationBatches(
  examples: readonly ClassificationExample[],
  tokenizer: Tokenizer,
  {
    batchSize,
    seed,
    bos = true,
    eos = false,
    keepLast = true,
    padId = tokenizer.eosId,
    ...pad
  }: ClassificationBatchOptions,
): Generator<ClassificationBatch> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`classificationBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const ordered = seed === undefined ? examples : shuffle(examples, seed);
  for (let start = 0; start < ordered.length; start += batchSize) {
    const rows = ordered.slice(start, start + batchSize);
    if (rows.length < batchSize && !keepLast) return;
    const padded = padSequences(
      rows.map((example) => tokenizer.encode(example.text, { bos, eos })),
      { ...pad, padId },
    );
    yield { ...padded, labels: Int32Array.from(rows, (example) => example.label) };
  }
}
