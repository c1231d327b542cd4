import type { TokenBatch } from '@mini-llama/data';
import { Random, type RandomState } from '@mini-llama/model';
import type { BatchSource } from '@mini-llama/trainer';

/**
 * Batches of windows of seqLen + 1 tokens at random offsets of a token stream (inputs: the first seqLen,
 * targets: the last seqLen). On a text of a few dozen windows, random offsets teach a small model the text
 * at every position, where fixed windows (@mini-llama/data's `WindowLoader`) let it memorise each window
 * from its first byte. The cursor is the generator's state, so a resumed run draws exactly the batches the
 * uninterrupted one would have.
 */
export class RandomWindows implements BatchSource {
  private readonly random: Random;

  constructor(
    private readonly tokens: Int32Array,
    private readonly seqLen: number,
    seed: number,
  ) {
    if (tokens.length < seqLen + 1) {
      throw new RangeError(`RandomWindows: ${tokens.length} tokens cannot fill a window of ${seqLen + 1}`);
    }
    this.random = new Random(seed);
  }

  nextBatch(batchSize: number): TokenBatch {
    const { tokens, seqLen } = this;
    const inputs = new Int32Array(batchSize * seqLen); // [B, T]
    const targets = new Int32Array(batchSize * seqLen); // [B, T]
    for (let row = 0; row < batchSize; row++) {
      const start = this.random.integer(tokens.length - seqLen);
      inputs.set(tokens.subarray(start, start + seqLen), row * seqLen);
      targets.set(tokens.subarray(start + 1, start + seqLen + 1), row * seqLen);
    }
    return { inputs, targets, batchSize, seqLen };
  }

  getCursor(): RandomState {
    return this.random.getState();
  }

  setCursor(cursor: unknown): void {
    const { words, spareNormal = null } = (cursor ?? {}) as Partial<RandomState>;
    if (!Array.isArray(words)) {
      throw new Error(`RandomWindows: cursor ${JSON.stringify(cursor)} is not a generator state`);
    }
    this.random.setState({ words, spareNormal });
  }
}
