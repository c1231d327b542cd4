/**
 * A batch of token rows: what every batch producer makes (windows of a corpus, padded texts, prompts with
 * completions) and what the trainer and the model read. Row-major [batchSize, seqLen] throughout.
 */
export interface TokenBatch {
  inputs: Int32Array; // [batchSize · seqLen] token ids
  batchSize: number;
  seqLen: number;
  /** Language modelling: the token each position should predict; IGNORE_INDEX leaves a position out. */
  targets?: Int32Array; // [batchSize · seqLen]
  /** Classification: one label per row. */
  labels?: Int32Array; // [batchSize]
  /** 1 where `inputs` holds a real token, 0 where padding; absent: every position is real. */
  attentionMask?: Uint8Array; // [batchSize · seqLen]
}

/** A batch of next-token pairs (windows of a corpus): targets[b, t] is the token after inputs[b, t]. */
export type LanguageModelBatch = TokenBatch & { targets: Int32Array };

/** A batch of padded texts with their labels. */
export type ClassificationBatch = TokenBatch & { labels: Int32Array; attentionMask: Uint8Array };

/** Targets equal to this are left out of the loss (PyTorch's ignore_index default). */
export const IGNORE_INDEX = -100;

/** Positions of a batch that count in the loss: rows for classification, targets other than IGNORE_INDEX. */
export function countedTargets(batch: TokenBatch): number {
  if (batch.labels) return batch.batchSize;
  let count = 0;
  for (const target of batch.targets ?? []) if (target !== IGNORE_INDEX) count++;
  return count;
}
