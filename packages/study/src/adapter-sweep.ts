// WiSE-FT of a LoRA adapter on language-model losses, in any tfjs environment (the browser example runs it):
// θ(α) = W₀ + α·scale·B·A over α, each set's loss per token at each α. The adapter's task is one set (in
// domain), the pretraining text another (what fine-tuning should not forget): the study's question about
// robustness, asked of a language model.
import type { LoraModel } from '@mini-llama/peft-lora';
import * as tf from '@tensorflow/tfjs-core';

/** A named token stream to score. */
export interface TokenSet {
  name: string;
  tokens: Int32Array;
}

export interface AdapterSweepOptions {
  /** The α values, each in [0, 1] (default 0, 0.25, 0.5, 0.75, 1). */
  alphas?: readonly number[];
  /** Tokens per scored window (default: the model's context). */
  seqLen?: number;
  /** Windows per forward pass (default 4). */
  batchSize?: number;
}

export interface AdapterSweepPoint {
  alpha: number;
  /** Mean next-token loss (nats per token) on each set, by name. */
  loss: Record<string, number>;
}

/**
 * Each set's mean next-token loss at every α (non-overlapping windows of seqLen + 1 tokens, every window of a
 * set). The adapter runs at full strength again afterwards.
 */
export async function adapterAlphaSweep(
  lora: LoraModel,
  sets: readonly TokenSet[],
  {
    alphas = [0, 0.25, 0.5, 0.75, 1],
    seqLen = lora.llama.config.maxSeqLen,
    batchSize = 4,
  }: AdapterSweepOptions = {},
): Promise<AdapterSweepPoint[]> {
  for (const alpha of alphas) {
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`adapterAlphaSweep: α must be in [0, 1], got ${alpha}`);
  }
  for (const set of sets) {
    if (set.tokens.length < seqLen + 1) {
      throw new Error(
        `adapterAlphaSweep: ${set.name} has ${set.tokens.length} tokens, fewer than a window of ${seqLen + 1}`,
      );
    }
  }
  const points: AdapterSweepPoint[] = [];
  try {
    for (const alpha of alphas) {
      lora.setAdapterWeight(alpha);
      const loss: Record<string, number> = {};
      for (const set of sets) loss[set.name] = await meanLoss(lora, set.tokens, seqLen, batchSize);
      points.push({ alpha, loss });
    }
  } finally {
    lora.setAdapterWeight(1);
  }
  return points;
}

/** The mean next-token loss over a stream's non-overlapping windows. */
async function meanLoss(
  lora: LoraModel,
  tokens: Int32Array,
  seqLen: number,
  batchSize: number,
): Promise<number> {
  const windows = Math.floor((tokens.length - 1) / seqLen);
  let total = 0;
  for (let first = 0; first < windows; first += batchSize) {
    const rows = Math.min(batchSize, windows - first);
    const inputs = new Int32Array(rows * seqLen);
    const targets = new Int32Array(rows * seqLen);
    for (let row = 0; row < rows; row++) {
      const start = (first + row) * seqLen;
      inputs.set(tokens.subarray(start, start + seqLen), row * seqLen);
      targets.set(tokens.subarray(start + 1, start + seqLen + 1), row * seqLen);
    }
    const loss = tf.tidy(() =>
      lora.llama.loss(
        tf.tensor2d(inputs, [rows, seqLen], 'int32'),
        tf.tensor2d(targets, [rows, seqLen], 'int32'),
      ),
    );
    total += (await loss.data())[0]! * rows;
    loss.dispose();
  }
  return total / windows;
}
