/**
 * A batch: row-major [batchSize, seqLen] input ids and, for language modelling, next-token targets (-100 is
 * ignored); for classification, one label per row and the padding mask (1 real, 0 pad; [batchSize·seqLen]).
 */
export interface TokenBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
  labels?: Int32Array;
  attentionMask?: Uint8Array;
}

/** Where the trainer's batches come from. The cursor is JSON, saved in checkpoints for an exact resume. */
export interface BatchSource {
  nextBatch(batchSize: number): TokenBatch | Promise<TokenBatch>;
  getCursor(): unknown;
  setCursor(cursor: unknown): void;
}

/** Targets equal to this are left out of the loss (PyTorch's ignore_index default). */
export const IGNORE_INDEX = -100;

/** Positions of a batch that count in the loss (rows, for classification). */
export function countedTargets(batch: TokenBatch): number {
  if (batch.labels) return batch.batchSize;
  let count = 0;
  for (const target of batch.targets) if (target !== IGNORE_INDEX) count++;
  return count;
}

/** The padding mask of a batch as rows of 0/1, or undefined when it has none. */
export function maskRows(batch: TokenBatch): number[][] | undefined {
  const { attentionMask, batchSize, seqLen } = batch;
  if (!attentionMask) return undefined;
  return Array.from({ length: batchSize }, (_, b) =>
    Array.from(attentionMask.subarray(b * seqLen, (b + 1) * seqLen)),
  );
}
