import { InMemoryTokenSource, type TokenSource } from '@mini-llama/data';
import { contextLength, type LlamaModel } from '@mini-llama/model';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { type ScoringWindow, slidingWindowCount, slidingWindows } from './sliding-windows.js';
import { tokenLogProbs } from './token-log-probs.js';

export interface PerplexityOptions {
  /** Input tokens per forward pass (default and most: the model's context, maxSeqLen). */
  windowSize?: number;
  /** Tokens the window moves on by (default windowSize / 2, rounded up: HF's example, 512 of 1024). */
  stride?: number;
  /** Windows per forward pass (default 4). */
  batchSize?: number;
  /** UTF-8 bytes of the text the tokens encode, for bits per byte (null or absent: not reported). */
  bytes?: number | null;
  /** Called after every batch of windows. */
  onProgress?: (progress: PerplexityProgress) => void;
}

export interface PerplexityProgress {
  scoredTokens: number;
  totalTokens: number; // tokens to score: the stream's length − 1
  windowsDone: number;
  windows: number;
}

/** What a perplexity evaluation measured. Logarithms are natural (nats) except in bitsPerByte. */
export interface PerplexityResult {
  /** Mean negative log-likelihood per scored token, in nats. */
  nll: number;
  /** exp(nll). */
  perplexity: number;
  /** Tokens scored: every token of the stream but the first. */
  tokens: number;
  /** UTF-8 bytes of the text, when known. */
  bytes: number | null;
  /**
   * Total NLL / ln 2 / bytes: the code length per byte of text, comparable across tokenizers (a model that
   * cuts text into fewer tokens has a higher per-token NLL but not a higher bits per byte).
   */
  bitsPerByte: number | null;
  windowSize: number;
  stride: number;
}

/**
 * Perplexity of `model` on a token stream (in memory or prepared shards) with a sliding window: every token
 * after the first is scored once, with as much left context as `windowSize` allows (see `slidingWindows`).
 */
export async function evaluatePerplexity(
  model: LlamaModel,
  source: TokenSource,
  { windowSize, stride, batchSize = 4, bytes = null, onProgress }: PerplexityOptions = {},
): Promise<PerplexityResult> {
  const context = contextLength(model.config);
  const window = windowSize ?? context;
  if (window > context) {
    throw new RangeError(
      `evaluatePerplexity: windowSize ${window} exceeds the model's context length ${context}`,
    );
  }
  const step = stride ?? Math.ceil(window / 2);
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`evaluatePerplexity: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (source.length < 2) {
    throw new RangeError(
      `evaluatePerplexity: the stream has ${source.length} token(s); at least 2 are needed to score one`,
    );
  }
  if (bytes !== null && (!Number.isFinite(bytes) || bytes < 0)) {
    throw new RangeError(`evaluatePerplexity: bytes must be a number ≥ 0, got ${bytes}`);
  }
  const windows = slidingWindowCount(source.length, window, step);
  const totalTokens = source.length - 1;
  const head = model.inferenceHead();
  let totalNll = 0; // float64 sum over every scored token
  let scoredTokens = 0;
  let windowsDone = 0;
  try {
    let batch: ScoringWindow[] = [];
    const flush = async () => {
      const sequences = await Promise.all(
        batch.map(async ({ start, end, scoreFrom }) => ({
          tokens: Array.from(await source.read(start, end - start)),
          scoreFrom: scoreFrom - start,
        })),
      );
      for (const logProbs of await tokenLogProbs(model, sequences, { batchSize: batch.length, head })) {
        for (const logProb of logProbs) totalNll -= logProb;
        scoredTokens += logProbs.length;
      }
      windowsDone += batch.length;
      batch = [];
      onProgress?.({ scoredTokens, totalTokens, windowsDone, windows });
    };
    for (const scoringWindow of slidingWindows(source.length, window, step)) {
      batch.push(scoringWindow);
      if (batch.length === batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    head.dispose();
  }
  const nll = totalNll / scoredTokens;
  return {
    nll,
    perplexity: Math.exp(nll),
    tokens: scoredTokens,
    bytes,
    bitsPerByte: bytes ? totalNll / Math.LN2 / bytes : null,
    windowSize: window,
    stride: step,
  };
}

/**
 * Perplexity of `model` on a text: encoded with BOS, so every token of the text is scored (BOS is the
 * context of the first), and bits per byte over the text's UTF-8 bytes.
 */
export async function textPerplexity(
  model: LlamaModel,
  tokenizer: Tokenizer,
  text: string,
  options: Omit<PerplexityOptions, 'bytes'> = {},
): Promise<PerplexityResult> {
  const tokens = tokenizer.encode(text, { bos: true });
  if (tokens.length < 2) throw new RangeError('textPerplexity: the text encodes to no tokens');
  return evaluatePerplexity(model, new InMemoryTokenSource(Int32Array.from(tokens)), {
    ...options,
    bytes: new TextEncoder().encode(text).length,
  });
}
