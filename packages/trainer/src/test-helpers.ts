// Shared by this package's tests (not exported from the package).
import type { BatchSource, TokenBatch } from './batch-source.js';

/** Sequential windows of seqLen + 1 tokens over a token array, wrapping around; cursor = next window. */
export class ArrayWindowSource implements BatchSource {
  private position = 0;
  constructor(
    private readonly tokens: number[],
    private readonly seqLen: number,
  ) {}

  nextBatch(batchSize: number): TokenBatch {
    const inputs = new Int32Array(batchSize * this.seqLen);
    const targets = new Int32Array(batchSize * this.seqLen);
    const windows = Math.floor((this.tokens.length - 1) / this.seqLen);
    for (let b = 0; b < batchSize; b++) {
      const start = (this.position % windows) * this.seqLen;
      for (let t = 0; t < this.seqLen; t++) {
        inputs[b * this.seqLen + t] = this.tokens[start + t]!;
        targets[b * this.seqLen + t] = this.tokens[start + t + 1]!;
      }
      this.position++;
    }
    return { inputs, targets, batchSize, seqLen: this.seqLen };
  }

  getCursor(): unknown {
    return { position: this.position };
  }

  setCursor(cursor: unknown): void {
    this.position = (cursor as { position: number }).position;
  }
}

/** A fixed pseudo-random token stream (an LCG), long enough for many windows. */
export function tokenStream(length: number, vocab: number, seed = 1): number[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % vocab;
  });
}
