import type { TokenBatch } from './token-batch.js';

/** Token sequences of different lengths as one rectangular batch, row-major [batchSize, seqLen]. */
export type PaddedBatch = TokenBatch & {
  attentionMask: Uint8Array; // [batchSize · seqLen]: 1 where `inputs` holds a real token, 0 where padding
  lengths: Int32Array; // [batchSize]: real tokens per row (after truncation)
};

export interface PadOptions {
  padId: number;
  /**
   * right: tokens first, then padding (the usual for encoders and training). left: padding first, so every
   * row's last token sits in the last column, where a decoder classifies or generates from.
   */
  side?: 'right' | 'left';
  /** Longer sequences are cut to this many tokens, keeping their start. */
  maxLength?: number;
  /** Pad to exactly this width instead of the longest row (e.g. for fixed-shape compiled kernels). */
  padTo?: number;
}

export function padSequences(
  sequences: readonly (readonly number[])[],
  { padId, side = 'right', maxLength = Number.POSITIVE_INFINITY, padTo }: PadOptions,
): PaddedBatch {
  if (!Number.isInteger(padId)) throw new RangeError(`padSequences: padId must be an integer, got ${padId}`);
  const lengths = Int32Array.from(sequences, (ids) => Math.min(ids.length, maxLength));
  const longest = lengths.reduce((max, length) => Math.max(max, length), 0);
  const seqLen = padTo ?? longest;
  if (seqLen < longest)
    throw new RangeError(`padSequences: padTo ${padTo} is shorter than the longest row, ${longest}`);
  const batchSize = sequences.length;
  const inputs = new Int32Array(batchSize * seqLen).fill(padId);
  const attentionMask = new Uint8Array(batchSize * seqLen);
  sequences.forEach((sequence, row) => {
    const length = lengths[row]!;
    const start = row * seqLen + (side === 'left' ? seqLen - length : 0);
    for (let t = 0; t < length; t++) inputs[start + t] = sequence[t]!;
    attentionMask.fill(1, start, start + length);
  });
  return { inputs, attentionMask, lengths, batchSize, seqLen };
}
