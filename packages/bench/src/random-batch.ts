import type { TokenBatch } from '@mini-llama/data';
import type { Random } from '@mini-llama/model';

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
