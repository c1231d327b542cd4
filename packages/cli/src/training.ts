// Batches for the demo and the benchmark (the trainer's batch shape, from a token array in memory).
import type { Random } from '@mini-llama/model';
import type { TokenBatch } from '@mini-llama/trainer';

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
