/**
 * A token stream that windows are read from: in memory here, or pretokenised shards on disk
 * (`ShardedTokenSource` in `@mini-llama/data/node`, which reads only the bytes asked for).
 */
export interface TokenSource {
  /** Tokens in the stream. */
  readonly length: number;
  /** Tokens [start, start + count) as int32 ids. */
  read(start: number, count: number): Promise<Int32Array>;
}

/** A token stream held in memory, e.g. a small corpus tokenised in the browser. */
export class InMemoryTokenSource implements TokenSource {
  constructor(readonly tokens: Int32Array | Uint16Array | Uint32Array) {}

  get length(): number {
    return this.tokens.length;
  }

  async read(start: number, count: number): Promise<Int32Array> {
    if (start < 0 || start + count > this.tokens.length) {
      throw new RangeError(
        `InMemoryTokenSource.read: [${start}, ${start + count}) is outside [0, ${this.tokens.length})`,
      );
    }
    return Int32Array.from(this.tokens.subarray(start, start + count));
  }
}
