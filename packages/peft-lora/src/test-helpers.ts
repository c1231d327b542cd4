// Shared by this package's tests (not exported from the package).
import { type LlamaConfigInput, LlamaModel, Random } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import type { LoraModel } from './lora-model.js';

/** dim 16, 2 layers, 4 heads over 2 KV heads (GQA), vocab 40, untied head: small enough for every test. */
export const TINY: LlamaConfigInput = {
  dim: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 40,
  maxSeqLen: 24,
  multipleOf: 8,
  tieEmbeddings: false,
};

export function tinyModel(seed = 1, config: LlamaConfigInput = TINY): LlamaModel {
  return new LlamaModel(config, { seed });
}

/** Tokens [B, T] int32 from a seeded stream. */
export function tokens(B: number, T: number, vocab: number, seed = 7): tf.Tensor2D {
  const random = new Random(seed);
  return tf.tensor2d(
    Array.from({ length: B * T }, () => random.integer(vocab)),
    [B, T],
    'int32',
  );
}

/** Gives every B of an adapter (and A) seeded non-zero values, as after training, so it changes outputs. */
export function randomizeAdapter(lora: LoraModel, name: string, seed = 3, std = 0.2): void {
  const random = new Random(seed);
  for (const [key, variable] of Object.entries(lora.trainableParameters(name))) {
    if (key.includes('modules_to_save')) continue;
    tf.tidy(() => variable.assign(tf.tensor(random.normalArray(variable.size, std), variable.shape)));
  }
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
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

/** The fields of @mini-llama/trainer's TokenBatch (this package does not depend on the trainer). */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
  labels?: Int32Array;
  attentionMask?: Uint8Array;
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
  nextBatch(batchSize: number): Batch {
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
  nextBatch(batchSize: number): Batch {
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
