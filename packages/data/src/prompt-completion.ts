import type { Tokenizer } from '@mini-llama/tokenizer';
import { DataFormatError } from './data-format-error.js';
import { parseJsonl } from './jsonl.js';
import { IGNORE_INDEX, type LanguageModelBatch } from './token-batch.js';

/** One example of language-model fine-tuning: the model learns to write `completion` after `prompt`. */
export interface PromptCompletion {
  prompt: string;
  completion: string;
}

/** The examples of a JSONL file of objects with a prompt field and a completion field (strings). */
export function parsePromptCompletions(
  text: string,
  file: string,
  { promptField = 'prompt', completionField = 'completion' } = {},
): PromptCompletion[] {
  return parseJsonl(text, file).map(({ line, value }) => {
    const prompt = value[promptField];
    const completion = value[completionField];
    if (typeof prompt !== 'string' || typeof completion !== 'string') {
      throw new DataFormatError(file, line, `needs string fields "${promptField}" and "${completionField}"`);
    }
    return { prompt, completion };
  });
}

/**
 * BOS + prompt + completion + EOS, right-padded (with EOS, masked out), cut to maxLength + 1 tokens; only
 * completion tokens (and EOS) are targets, so the loss teaches the completion and not the prompt.
 */
export function promptCompletionBatch(
  rows: readonly PromptCompletion[],
  tokenizer: Tokenizer,
  maxLength: number,
): LanguageModelBatch & { attentionMask: Uint8Array } {
  const sequences = rows.map(({ prompt, completion }) => {
    const promptIds = tokenizer.encode(prompt, { bos: true });
    const ids = [...promptIds, ...tokenizer.encode(completion, { eos: true })].slice(0, maxLength + 1);
    return { ids, promptLength: promptIds.length };
  });
  const seqLen = Math.max(...sequences.map((sequence) => sequence.ids.length - 1));
  const inputs = new Int32Array(rows.length * seqLen).fill(tokenizer.eosId);
  const targets = new Int32Array(rows.length * seqLen).fill(IGNORE_INDEX);
  const attentionMask = new Uint8Array(rows.length * seqLen);
  sequences.forEach(({ ids, promptLength }, row) => {
    for (let t = 0; t + 1 < ids.length; t++) {
      inputs[row * seqLen + t] = ids[t]!;
      attentionMask[row * seqLen + t] = 1;
      if (t + 1 >= promptLength) targets[row * seqLen + t] = ids[t + 1]!; // predicting a completion token
    }
  });
  return { inputs, targets, attentionMask, batchSize: rows.length, seqLen };
}
