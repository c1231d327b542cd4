import { combineSeeds, shuffle } from './shuffle.js';
import type { TokenBatch } from './token-batch.js';

/** Where an ExampleBatches stands: the next example is number `index` of epoch `epoch`'s order. */
export interface ExampleCursor {
  epoch: number;
  index: number;
}

/**
 * Batches of examples (texts with labels, prompts with completions) in a seeded order that changes every
 * epoch, made into token batches by `toBatch`. A trainer's batch source: the cursor (epoch, next example) is
 * JSON, so a checkpoint that saves it resumes exactly.
 */
export class ExampleBatches<T> {
  private epoch = 0;
  private index = 0;
  private order: readonly T[];

  constructor(
    private readonly examples: readonly T[],
    private readonly toBatch: (rows: T[]) => TokenBatch,
    private readonly seed: number,
  ) {
    if (examples.length === 0) throw new Error('ExampleBatches: there are no examples to train on');
    this.order = shuffle(examples, combineSeeds(seed, 0));
  }

  /** The next `batchSize` examples as a batch, going on into the next epoch's order when one ends. */
  nextBatch(batchSize: number): TokenBatch {
    const rows: T[] = [];
    while (rows.length < batchSize) {
      if (this.index === this.order.length) this.setCursor({ epoch: this.epoch + 1, index: 0 });
      rows.push(this.order[this.index++]!);
    }
    return this.toBatch(rows);
  }

  getCursor(): ExampleCursor {
    return { epoch: this.epoch, index: this.index };
  }

  setCursor(cursor: unknown): void {
    const { epoch, index } = (cursor ?? {}) as Partial<ExampleCursor>;
    if (!Number.isInteger(epoch) || epoch! < 0 || !Number.isInteger(index) || index! < 0) {
      throw new Error(
        `ExampleBatches: a cursor is {epoch, index} of integers ≥ 0, got ${JSON.stringify(cursor)}`,
      );
    }
    if (index! > this.examples.length) {
      throw new Error(`ExampleBatches: cursor index ${index} is past the ${this.examples.length} examples`);
    }
    this.epoch = epoch!;
    this.index = index!;
    this.order = shuffle(this.examples, combineSeeds(this.seed, epoch!));
  }
}
