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
