import { combineSeeds, permutation } from './shuffle.js';
import type { LanguageModelBatch } from './token-batch.js';
import type { TokenSource } from './token-source.js';

/** Where a loader stands: the next window is number `position` (0-based) of epoch `epoch`'s order. */
export interface WindowCursor {
  epoch: number;
  position: number;
}

export type WindowOrder = 'sequential' | 'shuffled';

export interface WindowLoaderOptions {
  batchSize: number;
  seqLen: number;
  /** sequential: windows 0, 1, 2, … every epoch; shuffled: a seeded permutation, a new one per epoch. */
  order?: WindowOrder;
  seed?: number; // 0; only used by the shuffled order
  /** Resume here (from a saved `loader.cursor`); the start of epoch 0 when absent. */
  cursor?: WindowCursor;
}

/** Full windows in a stream of `totalTokens`: each needs seqLen + 1 tokens, and they step by seqLen. */
export function windowCount(totalTokens: number, seqLen: number): number {
  return totalTokens > seqLen ? Math.floor((totalTokens - 1) / seqLen) : 0;
}

/**
 * Batches of fixed-length windows over a token stream, as llama2.c's PretokDataset cuts them: window k is
 * tokens [k·T, k·T + T] (T + 1 tokens), inputs its first T and targets its last T. Windows do not overlap
 * except in that one token, so an epoch sees every token once (bar the stream's tail that fills no window).
 *
 * Two differences from llama2.c, both on purpose: the stream is the whole split (for shards, their
 * concatenation, so a window may span two files; llama2.c windows each shard on its own and drops each
 * shard's tail), and the count is every full window, floor((N - 1) / T), where llama2.c's
 * `len(m) // T - 1` leaves one more out whenever N is not a multiple of T.
 *
 * Epochs run on without a gap: a batch that reaches the end of one epoch's order takes its remaining rows
 * from the next, so every batch is full and the cursor alone says where reading resumes.
 */
export class WindowLoader {
  readonly windowCount: number;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly order: WindowOrder;
  readonly seed: number;
  private epoch: number;
  private position: number;
  private epochOrder: { epoch: number; windows: Uint32Array } | null = null;

  constructor(
    private readonly source: TokenSource,
    {
      batchSize,
      seqLen,
      order = 'sequential',
      seed = 0,
      cursor = { epoch: 0, position: 0 },
    }: WindowLoaderOptions,
  ) {
    for (const [name, value] of [
      ['batchSize', batchSize],
      ['seqLen', seqLen],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new RangeError(`WindowLoader: ${name} must be a positive integer, got ${value}`);
      }
    }
    this.windowCount = windowCount(source.length, seqLen);
    if (this.windowCount === 0) {
      throw new RangeError(
        `WindowLoader: the stream has ${source.length} tokens, too few for one window of seqLen + 1 = ${seqLen + 1}`,
      );
    }
    if (
      !Number.isInteger(cursor.epoch) ||
      cursor.epoch < 0 ||
      !Number.isInteger(cursor.position) ||
      cursor.position < 0 ||
      cursor.position >= this.windowCount
    ) {
      throw new RangeError(
        `WindowLoader: cursor ${JSON.stringify(cursor)} is not a position in ${this.windowCount} windows`,
      );
    }
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.order = order;
    this.seed = seed;
    this.epoch = cursor.epoch;
    this.position = cursor.position;
  }

  /** Where the next batch starts; save it (it is plain JSON) to resume with the `cursor` option. */
  get cursor(): WindowCursor {
    return { epoch: this.epoch, position: this.position };
  }

  // The trainer's BatchSource interface (@mini-llama/trainer), structurally: a loader is a batch source.
  nextBatch(): Promise<LanguageModelBatch> {
    return this.next();
  }

  getCursor(): WindowCursor {
    return this.cursor;
  }

  /** Moves to a cursor saved earlier (the same checks as the constructor's `cursor` option). */
  setCursor(cursor: unknown): void {
    const { epoch, position } = (cursor ?? {}) as Partial<WindowCursor>;
    if (
      !Number.isInteger(epoch) ||
      epoch! < 0 ||
      !Number.isInteger(position) ||
      position! < 0 ||
      position! >= this.windowCount
    ) {
      throw new RangeError(
        `WindowLoader: cursor ${JSON.stringify(cursor)} is not a position in ${this.windowCount} windows`,
      );
    }
    this.epoch = epoch!;
    this.position = position!;
  }

  /** Windows per epoch / batch size, rounded down: how many batches make roughly one pass. */
  get batchesPerEpoch(): number {
    return Math.floor(this.windowCount / this.batchSize);
  }

  /** The index of the window at `position` of `epoch`'s order. */
  windowAt(epoch: number, position: number): number {
    if (this.order === 'sequential') return position;
    if (this.epochOrder?.epoch !== epoch) {
      this.epochOrder = { epoch, windows: permutation(this.windowCount, combineSeeds(this.seed, epoch)) };
    }
    return this.epochOrder.windows[position]!;
  }

  async next(): Promise<LanguageModelBatch> {
    const { batchSize, seqLen } = this;
    let { epoch, position } = this;
    const starts: number[] = [];
    for (let row = 0; row < batchSize; row++) {
      starts.push(this.windowAt(epoch, position) * seqLen);
      if (++position === this.windowCount) {
        epoch++;
        position = 0;
      }
    }
    const windows = await Promise.all(starts.map((start) => this.source.read(start, seqLen + 1)));
    // Moved only once the reads succeeded, so a failed read can be retried from the same cursor.
    this.epoch = epoch;
    this.position = position;
    const inputs = new Int32Array(batchSize * seqLen);
    const targets = new Int32Array(batchSize * seqLen);
    windows.forEach((window, row) => {
      inputs.set(window.subarray(0, seqLen), row * seqLen);
      targets.set(window.subarray(1), row * seqLen);
    });
    return { inputs, targets, batchSize, seqLen };
  }
}
