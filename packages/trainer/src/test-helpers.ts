// Shared by this package's tests (not exported from the package).
import type { TokenBatch } from '@mini-llama/data';
import { type LlamaConfigInput, LlamaModel } from '@mini-llama/model';
import type * as tf from '@tensorflow/tfjs-core';
import type { BatchSource } from './batch-source.js';

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

/**
 * Next-token windows over a repeating pattern (a language a tiny model can learn): the cursor is the next
 * window, so a resumed run continues exactly.
 */
export class PatternSource {
  private position = 0;
  constructor(
    private readonly seqLen: number,
    private readonly vocab: number,
  ) {}
  nextBatch(batchSize: number): TokenBatch {
    const inputs = new Int32Array(batchSize * this.seqLen);
    const targets = new Int32Array(batchSize * this.seqLen);
    for (let b = 0; b < batchSize; b++, this.position++) {
      for (let t = 0; t < this.seqLen; t++) {
        const token = (i: number) => (this.position * 3 + i) % this.vocab;
        inputs[b * this.seqLen + t] = token(t);
        targets[b * this.seqLen + t] = token(t + 1);
      }
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

/** A toy classification task: label 1 when token 7 occurs in the row, else 0 (rows right-padded). */
export class ToyTaskSource {
  private state: number;
  constructor(seed = 1) {
    this.state = seed;
  }
  private next(n: number): number {
    this.state = (this.state * 1103515245 + 12345) % 2 ** 31;
    return this.state % n;
  }
  nextBatch(batchSize: number): TokenBatch {
    const seqLen = 5;
    const inputs = new Int32Array(batchSize * seqLen);
    const attentionMask = new Uint8Array(batchSize * seqLen);
    const labels = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      const length = 2 + this.next(4);
      const positive = this.next(2) === 1;
      for (let t = 0; t < length; t++) {
        inputs[b * seqLen + t] = 1 + this.next(5);
        attentionMask[b * seqLen + t] = 1;
      }
      if (positive) inputs[b * seqLen + this.next(length)] = 7;
      labels[b] = positive ? 1 : 0;
    }
    return { inputs, targets: new Int32Array(batchSize * seqLen), batchSize, seqLen, labels, attentionMask };
  }
  getCursor(): unknown {
    return { state: this.state };
  }
  setCursor(cursor: unknown): void {
    this.state = (cursor as { state: number }).state;
  }
}

/** dim 16, 2 layers, 4 heads over 2 KV heads (GQA), vocab 40, untied head: a model LoRA can wrap and train. */
export const LORA_TINY: LlamaConfigInput = {
  dim: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 40,
  maxSeqLen: 24,
  multipleOf: 8,
  tieEmbeddings: false,
};

export function tinyModel(seed = 1, config: LlamaConfigInput = LORA_TINY): LlamaModel {
  return new LlamaModel(config, { seed });
}

/** Copies of every value of a record of variables, to compare bit for bit later. */
export function snapshot(variables: Record<string, tf.Variable>): Map<string, Float32Array> {
  return new Map(
    Object.entries(variables).map(([name, variable]) => [name, Float32Array.from(variable.dataSync())]),
  );
}

export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((bits, i) => bits === y[i]);
}
