import type { TokenBatch } from '@mini-llama/data';

/** Where the trainer's batches come from. The cursor is JSON, saved in checkpoints for an exact resume. */
export interface BatchSource {
  nextBatch(batchSize: number): TokenBatch | Promise<TokenBatch>;
  getCursor(): unknown;
  setCursor(cursor: unknown): void;
}
