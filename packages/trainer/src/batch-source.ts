/** A batch of next-token examples: row-major [batchSize, seqLen] ids; targets of -100 are ignored. */
export interface TokenBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
}

/** Where the trainer's batches come from. The cursor is JSON, saved in checkpoints for an exact resume. */
export interface BatchSource {
  nextBatch(batchSize: number): TokenBatch | Promise<TokenBatch>;
  getCursor(): unknown;
  setCursor(cursor: unknown): void;
}

/** Targets equal to this are left out of the loss (PyTorch's ignore_index default). */
export const IGNORE_INDEX = -100;

/** Positions of a batch that count in the loss. */
export function countedTargets(batch: TokenBatch): number {
  let count = 0;
  for (const target of batch.targets) if (target !== IGNORE_INDEX) count++;
  return count;
}
