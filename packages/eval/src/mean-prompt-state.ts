import { classificationBatches } from '@mini-llama/data';
import { contextLength, type LlamaModel, lastRealPositions } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';

export interface MeanPromptStateOptions {
  /** A prompt template with a `{text}` slot; each text is read in it (default: the text alone). */
  template?: string;
  /** Tokens per text at most (a longer one loses its start, as classifiers read it); default the context. */
  maxLength?: number;
  batchSize?: number;
}

/**
 * The mean final-norm hidden state at each text's last token (where a classification head reads), [dim]:
 * what every input of a domain has in common, e.g. to centre a zero-shot head on unlabelled in-domain texts
 * (@mini-llama/wise-ft's centredHead).
 */
export async function meanPromptState(
  model: LlamaModel,
  tokenizer: Tokenizer,
  texts: readonly string[],
  { template, maxLength = contextLength(model.config), batchSize = 16 }: MeanPromptStateOptions = {},
): Promise<Float32Array> {
  if (texts.length === 0) throw new RangeError('meanPromptState: no texts');
  const dim = model.config.dim;
  const sum = new Float64Array(dim);
  const examples = texts.map((text) => ({ text, label: 0 }));
  for (const batch of classificationBatches(examples, tokenizer, { batchSize, maxLength, template })) {
    const { batchSize: B, seqLen: T, inputs, attentionMask } = batch;
    const last = lastRealPositions(B, T, attentionMask);
    const states = tf.tidy(() => {
      const hidden = model.hiddenStates(tf.tensor2d(inputs, [B, T], 'int32'), { attentionMask }); // [B, T, dim]
      const rows = last.map((position, row) => row * T + position);
      return tf.gather(tf.reshape(hidden, [B * T, dim]), rows); // [B, dim]
    });
    const values = (await states.data()) as Float32Array;
    states.dispose();
    for (let i = 0; i < values.length; i++) sum[i % dim]! += values[i]!;
  }
  return Float32Array.from(sum, (value) => value / texts.length);
}
