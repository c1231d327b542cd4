/** What a benchmark measures: full training steps, LoRA training steps, or greedy decoding with the KV cache. */
export type BenchMode = 'train' | 'lora' | 'generate';

export const BENCH_MODES: readonly BenchMode[] = ['train', 'lora', 'generate'];

/** One measurement of ours, on one shape, mode and backend. */
export interface Measurement {
  preset: string;
  mode: BenchMode;
  backend: string;
  /** wasm's thread count; null for other backends. */
  threads: number | null;
  /** Training: sequences per step; generation: 1. */
  batch: number;
  /** Training: tokens per sequence; generation: the prompt's length (1). */
  seqLen: number;
  /** Training: steps × batch × seqLen; generation: the new tokens of every timed run. */
  tokens: number;
  /** Generation: the new tokens of one run (what the yardsticks are asked to generate per run). */
  newTokens?: number;
  tokensPerSecond: number;
  /** The process's highest resident set size during this mode (0 where it cannot be read). */
  peakRssBytes: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

/** A measurement of ours beside the PyTorch yardstick's on the same shape, mode, batch and length. */
export interface BenchRow extends Measurement {
  torchTokensPerSecond: number | null;
  torchPeakRssBytes: number | null;
  /** ours / torch, in tokens per second */
  ratio: number | null;
  /** Training, with `--torch-compile`: PyTorch with torch.compile (inductor); null where not run or failed. */
  torchCompiledTokensPerSecond?: number | null;
  /**
   * Generation: llama2.c's run.c on the same shape (random weights, greedy), built -O3 for one thread and
   * -O3 -fopenmp for `openmpThreads`; null where it was not run. `ratio` is ours / run.c at our thread count.
   */
  runC?: { single: number | null; openmp: number | null; openmpThreads: number; ratio: number | null } | null;
}
