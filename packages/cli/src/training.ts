import type { LlamaModel, Random } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';

/** One batch of next-token prediction: targets are the inputs shifted by one. */
export interface TokenBatch {
  inputs: Int32Array; // [B, T]
  targets: Int32Array; // [B, T]
  batchSize: number;
  seqLen: number;
}

/**
 * Next-token training with Adam on every parameter of the model. The trainer package will replace this with
 * AdamW (decoupled weight decay, Loshchilov & Hutter 2019), warm-up and clipping; tfjs-core has no AdamW.
 */
export class LanguageModelTrainer {
  private readonly model: LlamaModel;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly variables: tf.Variable[];

  constructor(model: LlamaModel, { learningRate }: { learningRate: number }) {
    this.model = model;
    this.optimizer = tf.train.adam(learningRate);
    this.variables = Object.values(model.parameters());
  }

  /** One optimizer step; returns the batch's mean cross-entropy (nats per token) before the update. */
  async step({ inputs, targets, batchSize: B, seqLen: T }: TokenBatch): Promise<number> {
    const loss = tf.tidy(() => {
      const x = tf.tensor2d(inputs, [B, T], 'int32');
      const y = tf.tensor2d(targets, [B, T], 'int32');
      const { value, grads } = tf.variableGrads(() => this.model.loss(x, y), this.variables);
      // Gradients keyed by variable name: the optimizer finds each variable by that name.
      this.optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      return value;
    });
    const [value] = await loss.data();
    loss.dispose();
    return value!;
  }

  /** Frees Adam's moment estimates (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** B random windows of T + 1 consecutive tokens from a token stream. */
export function randomWindows(
  tokens: Int32Array,
  batchSize: number,
  seqLen: number,
  random: Random,
): TokenBatch {
  if (tokens.length < seqLen + 1) {
    throw new Error(`randomWindows: ${tokens.length} tokens cannot fill a window of ${seqLen + 1}`);
  }
  const inputs = new Int32Array(batchSize * seqLen);
  const targets = new Int32Array(batchSize * seqLen);
  for (let b = 0; b < batchSize; b++) {
    const start = random.integer(tokens.length - seqLen);
    inputs.set(tokens.subarray(start, start + seqLen), b * seqLen);
    targets.set(tokens.subarray(start + 1, start + seqLen + 1), b * seqLen);
  }
  return { inputs, targets, batchSize, seqLen };
}

/** B rows of T uniformly random ids, and random targets: a benchmark batch of exactly the model's shape. */
export function randomTokens(
  vocabSize: number,
  batchSize: number,
  seqLen: number,
  random: Random,
): TokenBatch {
  const draw = () => Int32Array.from({ length: batchSize * seqLen }, () => random.integer(vocabSize));
  return { inputs: draw(), targets: draw(), batchSize, seqLen };
}
