import { contextLength, type LlamaModel } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { fillPrompt, type PromptTemplate } from './prompt-template.js';
import { type ScoredSequence, tokenLogProbs } from './token-log-probs.js';

export interface VerbalizerScoreOptions {
  /** Sequences (text × label) per forward pass (default 16). */
  batchSize?: number;
  /** Score a label by its mean token log-probability instead of the sum (favours no label for its length). */
  lengthNormalize?: boolean;
  /** Called as texts are scored (after each chunk of about 8 batches). */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/**
 * The sequences that score each label of one text: BOS + prompt + verbalizer, with the verbalizer's tokens
 * scored. The label's tokens are found the way lm-evaluation-harness does: the prompt is encoded alone and
 * with the verbalizer appended, and the tokens where the two part are the label's (a tokenizer may merge
 * across the boundary; then the merged token is scored too, the same way for every text).
 *
 * A sequence too long for the context loses tokens from its start (BOS and the text's beginning; the prompt's
 * end and the label always stay), as lm-evaluation-harness truncates.
 */
export function verbalizerSequences(
  tokenizer: Tokenizer,
  prompt: PromptTemplate,
  text: string,
  maxSeqLen: number,
): ScoredSequence[] {
  const filled = fillPrompt(prompt.template, text);
  const promptIds = tokenizer.encode(filled, { bos: true });
  return prompt.verbalizers.map((verbalizer, label) => {
    const whole = tokenizer.encode(filled + verbalizer, { bos: true });
    let common = 0;
    while (common < promptIds.length && common < whole.length && promptIds[common] === whole[common])
      common++;
    if (common === whole.length) {
      throw new Error(
        `verbalizerSequences: the verbalizer ${JSON.stringify(verbalizer)} of label ${label} adds no token to the prompt`,
      );
    }
    const drop = Math.max(0, whole.length - 1 - maxSeqLen); // inputs are all tokens but the last
    if (common - drop < 1) {
      throw new Error(
        `verbalizerSequences: the ${whole.length - common} tokens of label ${label}'s verbalizer ${JSON.stringify(verbalizer)} do not fit the context of ${maxSeqLen}`,
      );
    }
    return { tokens: whole.slice(drop), scoreFrom: Math.max(1, common - drop) };
  });
}

/**
 * Each text's score for each label, [texts][labels]: the summed log-likelihood (nats) of the label's
 * verbalizer tokens after the filled prompt, or their mean with `lengthNormalize`. Sequences are sorted by
 * length before batching (less padding; padding never changes a score) and the scores put back in order.
 */
export async function verbalizerScores(
  model: LlamaModel,
  tokenizer: Tokenizer,
  texts: readonly string[],
  prompt: PromptTemplate,
  { batchSize = 16, lengthNormalize = false, onProgress }: VerbalizerScoreOptions = {},
): Promise<number[][]> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`verbalizerScores: batchSize must be a positive integer, got ${batchSize}`);
  }
  const labels = prompt.verbalizers.length;
  const scores: number[][] = [];
  const head = model.inferenceHead();
  try {
    // A chunk of texts at a time: sorting by length works inside it, and memory stays bounded.
    const chunkTexts = Math.max(1, Math.floor((batchSize * 8) / labels));
    for (let first = 0; first < texts.length; first += chunkTexts) {
      const chunk = texts.slice(first, first + chunkTexts);
      const sequences = chunk.flatMap((text) =>
        verbalizerSequences(tokenizer, prompt, text, contextLength(model.config)),
      );
      const order = sequences
        .map((_, i) => i)
        .sort((a, b) => sequences[a]!.tokens.length - sequences[b]!.tokens.length);
      const sorted = await tokenLogProbs(
        model,
        order.map((i) => sequences[i]!),
        { batchSize, head },
      );
      const logProbs: Float32Array[] = new Array(sequences.length);
      order.forEach((i, rank) => {
        logProbs[i] = sorted[rank]!;
      });
      chunk.forEach((_, t) => {
        scores.push(
          Array.from({ length: labels }, (_, label) => {
            const values = logProbs[t * labels + label]!;
            const sum = values.reduce((total, value) => total + value, 0);
            return lengthNormalize ? sum / values.length : sum;
          }),
        );
      });
      onProgress?.({ done: scores.length, total: texts.length });
    }
  } finally {
    head.dispose();
  }
  return scores;
}
