import { contextLength } from '@mini-llama/formats';
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaModel } from './llama-model.js';
import { Random } from './random.js';
import { type SamplingOptions, sampleToken, validateSamplingOptions } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate per prompt (the context length may stop it earlier). */
  maxNewTokens: number;
  /** Seed of the sampler: the same seed, prompt and model give the same tokens. */
  seed?: number;
  /**
   * A row stops once it produces this token, or any of these (an instruction-tuned model ends a turn with its
   * own token, e.g. Llama 3's <|eot_id|>); the token is included in its output. Undefined: never.
   */
  eosTokenId?: number | readonly number[];
  /** Token used to left-pad shorter prompts of a batch; it is masked out, so any id works. */
  padTokenId?: number;
  /** Called for every token as soon as it is chosen. */
  onToken?: (event: GeneratedToken) => void;
  /** Stops generation early when aborted (the tokens so far are returned). */
  signal?: AbortSignal;
}

export interface GeneratedToken {
  /** Which prompt of the batch. */
  row: number;
  token: number;
  /** 0 for the first new token of that row. */
  index: number;
}

export interface GenerateResult {
  /** Generated ids per prompt, the prompt excluded. */
  tokens: number[][];
  /** Why each row ended: 'eos', 'length' (maxNewTokens), 'context' (maxSeqLen reached) or 'aborted'. */
  finishReasons: FinishReason[];
  /** Timing: prompt processing (prefill) and token generation, in milliseconds. */
  prefillMs: number;
  decodeMs: number;
}

export type FinishReason = 'eos' | 'length' | 'context' | 'aborted';

/**
 * Autoregressive generation with a KV cache: the prompts are processed once (prefill), then each new token
 * costs one single-position forward. A batch of prompts is left-padded and masked, so each row produces what
 * it would alone (up to float rounding).
 */
export async function* generateStream(
  model: LlamaModel,
  prompts: number[][],
  options: GenerateOptions,
): AsyncGenerator<GeneratedToken, GenerateResult> {
  const { maxNewTokens, seed = 0, padTokenId = 0, signal } = options;
  const stopIds = new Set(
    options.eosTokenId === undefined
      ? []
      : typeof options.eosTokenId === 'number'
        ? [options.eosTokenId]
        : options.eosTokenId,
  );
  validateSamplingOptions(options);
  validatePrompts(model, prompts);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new Error(`generate: maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}`);
  }
  const B = prompts.length;
  const promptLength = Math.max(...prompts.map((prompt) => prompt.length));
  const padded = prompts.map((prompt) => [
    ...Array(promptLength - prompt.length).fill(padTokenId),
    ...prompt,
  ]);
  // Left-padded rows are masked: one row of 0/1 per prompt, which grows by a position with every step.
  const needsMask = prompts.some((prompt) => prompt.length !== promptLength);
  const maskRows = needsMask
    ? prompts.map((prompt) => [
        ...Array(promptLength - prompt.length).fill(0),
        ...Array(prompt.length).fill(1),
      ])
    : undefined;
  const attentionMask = () => (maskRows ? Uint8Array.from(maskRows.flat()) : undefined); // [B, length]

  const random = new Random(seed);
  const generated: number[][] = prompts.map(() => []);
  const finishReasons: (FinishReason | undefined)[] = prompts.map(() => undefined);
  const budget = Math.min(maxNewTokens, contextLength(model.config) - promptLength);
  const cache = model.createCache();
  let prefillMs = 0;
  const decodeStart = { time: 0 };
  let logits: tf.Tensor | null = null;
  const head = model.inferenceHead(); // [dim, vocab], reused for every token
  try {
    const started = performance.now();
    logits = tf.tidy(() => {
      const hidden = model.hiddenStates(tf.tensor2d(padded, [B, promptLength], 'int32'), {
        cache,
        attentionMask: attentionMask(),
      });
      const last = tf.slice(hidden, [0, promptLength - 1, 0], [B, 1, -1]); // [B, 1, dim]: only it is sampled from
      return tf.reshape(model.logitsFromHidden(last, head), [B, -1]); // [B, vocab]
    });
    prefillMs = performance.now() - started;
    decodeStart.time = performance.now();
    for (let step = 0; step < budget; step++) {
      const rows = (await (logits as tf.Tensor).data()) as Float32Array;
      (logits as tf.Tensor).dispose();
      const vocab = model.config.vocabSize;
      const next: number[] = [];
      for (let row = 0; row < B; row++) {
        if (finishReasons[row]) {
          next.push(padTokenId);
          continue;
        }
        const token = sampleToken(rows.subarray(row * vocab, (row + 1) * vocab), options, random);
        generated[row]!.push(token);
        next.push(token);
        const event = { row, token, index: step };
        options.onToken?.(event);
        yield event;
        if (stopIds.has(token)) finishReasons[row] = 'eos';
      }
      if (signal?.aborted) {
        for (let row = 0; row < B; row++) finishReasons[row] ??= 'aborted';
      }
      if (finishReasons.every(Boolean) || step === budget - 1) break;
      if (maskRows) {
        for (let row = 0; row < B; row++) maskRows[row]!.push(finishReasons[row] ? 0 : 1);
      }
      logits = tf.tidy(() => {
        const input = tf.tensor2d(next, [B, 1], 'int32');
        const hidden = model.hiddenStates(input, { cache, attentionMask: attentionMask() });
        return tf.reshape(model.logitsFromHidden(hidden, head), [B, -1]); // [B, vocab]
      });
    }
  } finally {
    logits?.dispose(); // already disposed unless the consumer stopped early
    cache.dispose();
    head.dispose();
  }
  const reasons = finishReasons.map(
    (reason) => reason ?? (budget < maxNewTokens ? 'context' : 'length'),
  ) as FinishReason[];
  return {
    tokens: generated,
    finishReasons: reasons,
    prefillMs,
    decodeMs: performance.now() - decodeStart.time,
  };
}

/** Runs `generateStream` to the end and returns every row's tokens. */
export async function generate(
  model: LlamaModel,
  prompts: number[][],
  options: GenerateOptions,
): Promise<GenerateResult> {
  const stream = generateStream(model, prompts, options);
  for (;;) {
    const step = await stream.next();
    if (step.done) return step.value;
  }
}

function validatePrompts(model: LlamaModel, prompts: number[][]): void {
  if (!Array.isArray(prompts) || prompts.length === 0) {
    throw new Error('generate: prompts must be a non-empty array of token-id arrays');
  }
  const { vocabSize } = model.config;
  const maxSeqLen = contextLength(model.config);
  prompts.forEach((prompt, row) => {
    if (!Array.isArray(prompt) || prompt.length === 0) {
      throw new Error(`generate: prompt ${row} is empty; start it with at least one token (e.g. BOS = 1)`);
    }
    if (prompt.length >= maxSeqLen) {
      throw new Error(`generate: prompt ${row} has ${prompt.length} tokens, the context holds ${maxSeqLen}`);
    }
    const bad = prompt.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
    if (bad !== undefined) {
      throw new Error(
        `generate: prompt ${row} has token id ${bad}, outside the vocabulary 0…${vocabSize - 1}`,
      );
    }
  });
}
