// Helpers for this package's tests: tiny models and reference log-probabilities computed from the logits of
// `model.forward` in plain float64 JavaScript, independently of the gathered, batched path under test.

import { LlamaModel } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';

/** dim 16, 2 layers, GQA (2 heads, 1 KV head), byte vocabulary (259), context 16. */
export const TINY = {
  dim: 16,
  nLayers: 2,
  nHeads: 2,
  nKvHeads: 1,
  vocabSize: 259,
  maxSeqLen: 16,
  multipleOf: 8,
};

/**
 * log p(tokens[t] | tokens[from..t-1]) for t in targets, each from its own forward pass over exactly the
 * context given: logits of the last position, log-softmax in float64.
 */
export function referenceLogProb(model: LlamaModel, context: readonly number[], target: number): number {
  const logits = tf.tidy(() =>
    tf.squeeze(model.forward(tf.tensor2d([[...context]], [1, context.length], 'int32'))),
  );
  const values = logits.arraySync() as number[][] | number[];
  logits.dispose();
  const last = (context.length === 1 ? values : (values as number[][])[context.length - 1]) as number[];
  return logSoftmaxAt(last, target);
}

/** log p of every token from `scoreFrom` on, all from one forward pass over the whole sequence (float64). */
export function referenceSequenceLogProbs(
  model: LlamaModel,
  tokens: readonly number[],
  scoreFrom: number,
): number[] {
  const inputs = tokens.slice(0, -1);
  const logits = tf.tidy(() => model.forward(tf.tensor2d([inputs], [1, inputs.length], 'int32')));
  const rows = (logits.arraySync() as number[][][])[0]!;
  logits.dispose();
  const out: number[] = [];
  for (let t = scoreFrom; t < tokens.length; t++) out.push(logSoftmaxAt(rows[t - 1]!, tokens[t]!));
  return out;
}

function logSoftmaxAt(logits: readonly number[], index: number): number {
  const max = Math.max(...logits);
  const sum = logits.reduce((total, value) => total + Math.exp(value - max), 0);
  return logits[index]! - max - Math.log(sum);
}

/**
 * A "bigram" Llama over bytes whose next-token logits depend only on the current token, set by hand:
 * every block's output projections (o_proj, down_proj) are zero, so the residual stream is the token's
 * embedding; embeddings are one-hot (slot k for the k-th listed token, zero for all others); the final RMSNorm
 * scales a one-hot by 1/√(1/dim + eps); and the untied head row k holds the wanted logits divided by that
 * factor. Every logit not listed is 0, so log-probabilities can be computed by hand.
 */
export function bigramModel(logits: Record<number, Record<number, number>>): LlamaModel {
  const dim = 16;
  const vocabSize = 259;
  const model = new LlamaModel(
    { dim, nLayers: 1, nHeads: 2, vocabSize, maxSeqLen: 32, multipleOf: 4, tieEmbeddings: false },
    { seed: 0 },
  );
  const eps = model.config.normEps;
  const normScale = 1 / Math.sqrt(1 / dim + eps);
  const embedding = new Float32Array(vocabSize * dim);
  const head = new Float32Array(dim * vocabSize); // our Linear layout: [in = dim, out = vocab]
  Object.entries(logits).forEach(([token, row], slot) => {
    if (slot >= dim) throw new Error('bigramModel: at most 16 tokens with logits');
    embedding[Number(token) * dim + slot] = 1;
    for (const [next, logit] of Object.entries(row))
      head[slot * vocabSize + Number(next)] = logit / normScale;
  });
  const parameters = model.parameters();
  tf.tidy(() => {
    parameters['model.embed_tokens.weight']!.assign(tf.tensor2d(embedding, [vocabSize, dim]));
    parameters['lm_head.weight']!.assign(tf.tensor2d(head, [dim, vocabSize]));
    for (const [name, variable] of Object.entries(parameters)) {
      if (name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight'))
        variable.assign(tf.zerosLike(variable));
    }
  });
  return model;
}

/** log p(next) of the bigram model after a token whose listed logits are `row` (all other vocab logits 0). */
export function bigramLogProb(row: Record<number, number>, next: number, vocabSize = 259): number {
  const listed = Object.values(row);
  const sum = listed.reduce((total, logit) => total + Math.exp(logit), 0) + (vocabSize - listed.length);
  return (row[next] ?? 0) - Math.log(sum);
}
