import { contextLength, type LlamaModel } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';

/** A token sequence whose tokens from `scoreFrom` on are scored, each given every token before it. */
export interface ScoredSequence {
  tokens: readonly number[];
  /** Index of the first scored token, ≥ 1 (the first token has nothing to be predicted from). */
  scoreFrom: number;
}

export interface TokenLogProbOptions {
  /** Sequences per forward pass (default 8). */
  batchSize?: number;
  /**
   * The output matrix [dim, vocab] from `model.inferenceHead()`, when the caller scores many batches: made
   * once instead of once per call. The caller disposes it.
   */
  head?: tf.Tensor2D;
}

/**
 * log p(tokens[t] | tokens[<t]) in nats for every t ≥ scoreFrom of each sequence: one Float32Array per
 * sequence, of length tokens.length − scoreFrom.
 *
 * A sequence of n tokens is fed as its first n − 1 (the last token is only ever a target), so n − 1 must fit
 * the context. Rows of a batch are right-padded and carry an attention mask: padding comes after every real
 * token, is never attended to, and is never scored, so a sequence scores the same alone or in any batch.
 * Logits are computed only at the scored positions (a gather of hidden states before the output head), never
 * as a whole [B, T, vocab] block.
 */
export async function tokenLogProbs(
  model: LlamaModel,
  sequences: readonly ScoredSequence[],
  { batchSize = 8, head }: TokenLogProbOptions = {},
): Promise<Float32Array[]> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`tokenLogProbs: batchSize must be a positive integer, got ${batchSize}`);
  }
  sequences.forEach((sequence, index) => {
    checkSequence(sequence, index, model);
  });
  const ownHead = head ?? model.inferenceHead();
  try {
    const out: Float32Array[] = [];
    for (let start = 0; start < sequences.length; start += batchSize) {
      out.push(...(await scoreBatch(model, sequences.slice(start, start + batchSize), ownHead)));
    }
    return out;
  } finally {
    if (!head) ownHead.dispose();
  }
}

async function scoreBatch(
  model: LlamaModel,
  batch: readonly ScoredSequence[],
  head: tf.Tensor2D,
): Promise<Float32Array[]> {
  const B = batch.length;
  const T = Math.max(...batch.map(({ tokens }) => tokens.length - 1));
  const { dim, vocabSize } = model.config;
  const ids = new Int32Array(B * T); // pad id 0: any valid id, masked out
  const attentionMask = new Uint8Array(B * T); // 1 for each row's real input positions, 0 for padding
  batch.forEach(({ tokens }, b) => {
    attentionMask.fill(1, b * T, b * T + tokens.length - 1);
  });
  const positions: number[] = []; // flat [B·T] index of the input position predicting each scored token
  const targets: number[] = []; // flat [N·vocab] index of each scored token's logit
  batch.forEach(({ tokens, scoreFrom }, b) => {
    for (let t = 0; t < tokens.length - 1; t++) ids[b * T + t] = tokens[t]!;
    for (let t = scoreFrom; t < tokens.length; t++) {
      targets.push(positions.length * vocabSize + tokens[t]!);
      positions.push(b * T + t - 1);
    }
  });
  const N = positions.length;
  if (N === 0) return batch.map(() => new Float32Array(0));
  const padded = batch.some(({ tokens }) => tokens.length - 1 < T);
  const logProbs = tf.tidy(() => {
    const input = tf.tensor2d(ids, [B, T], 'int32');
    const hidden = model.hiddenStates(input, padded ? { attentionMask } : {}); // [B, T, dim]
    const rows = tf.gather(tf.reshape(hidden, [B * T, dim]), tf.tensor1d(positions, 'int32')); // [N, dim]
    const logits = tf.reshape(model.logitsFromHidden(tf.reshape(rows, [1, N, dim]), head), [N, vocabSize]);
    const picked = tf.gather(tf.reshape(logits, [N * vocabSize]), tf.tensor1d(targets, 'int32')); // [N]
    return tf.sub(picked, tf.logSumExp(logits, 1)); // log softmax at the target, [N]
  });
  const values = (await logProbs.data()) as Float32Array;
  logProbs.dispose();
  const out: Float32Array[] = [];
  let offset = 0;
  for (const { tokens, scoreFrom } of batch) {
    const count = Math.max(0, tokens.length - scoreFrom);
    out.push(values.slice(offset, offset + count));
    offset += count;
  }
  return out;
}

function checkSequence({ tokens, scoreFrom }: ScoredSequence, index: number, model: LlamaModel): void {
  const { vocabSize } = model.config;
  const maxSeqLen = contextLength(model.config);
  if (tokens.length < 2) {
    throw new RangeError(`tokenLogProbs: sequence ${index} has ${tokens.length} token(s), needs at least 2`);
  }
  if (tokens.length - 1 > maxSeqLen) {
    throw new RangeError(
      `tokenLogProbs: sequence ${index} has ${tokens.length} tokens; its ${tokens.length - 1} inputs exceed the context length ${maxSeqLen}`,
    );
  }
  if (!Number.isInteger(scoreFrom) || scoreFrom < 1 || scoreFrom > tokens.length) {
    throw new RangeError(
      `tokenLogProbs: sequence ${index} has scoreFrom ${scoreFrom}, expected an integer in [1, ${tokens.length}]`,
    );
  }
  const outside = tokens.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (outside !== undefined) {
    throw new RangeError(
      `tokenLogProbs: sequence ${index} holds token id ${outside}, outside the vocabulary 0…${vocabSize - 1}`,
    );
  }
}
