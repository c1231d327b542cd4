import type { TokenBatch } from '@mini-llama/data';
import {
  backendCapacityProblem,
  contextLength,
  generate,
  type LlamaConfig,
  LlamaModel,
  Random,
} from '@mini-llama/model';
import { type LoraConfig, LoraModel } from '@mini-llama/peft-lora';
import { languageModelObjective, type Objective, type TrainableModel, Trainer } from '@mini-llama/trainer';
import * as tf from '@tensorflow/tfjs-core';
import type { BenchMode, Measurement } from './bench-row.js';
import { randomTokens } from './random-batch.js';

/**
 * The training step both sides run: AdamW (lr 5e-4, β 0.9/0.95, weight decay 0.1 on matrices) with clipping at
 * 1.0, as the PyTorch yardstick (python/torch_bench.py) does.
 */
export const BENCH_TRAINER = {
  batchSize: 1,
  optimizer: { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 },
  schedule: { name: 'constant', learningRate: 5e-4 },
  clip: 1,
} as const;

/** The LoRA step's adapter: rank 8 on q and v (PEFT's defaults for Llama), alpha 16, no dropout. */
export const BENCH_LORA = { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'], dropout: 0 } as const;

/** The highest resident set size seen since the last take(); a no-op where memory cannot be read. */
export interface MemorySampler {
  sample(): void;
  take(): number;
}

export interface MeasureOptions {
  /** The name the rows carry (a preset's). */
  name: string;
  config: LlamaConfig;
  /**
   * A model to measure (a loaded checkpoint, of `config`), which stays the caller's: full training changes its
   * weights, LoRA leaves them as they were. Default: a model of `config` with random weights, disposed after.
   */
  model?: LlamaModel;
  modes: readonly BenchMode[];
  /** Training: sequences per step. */
  batch: number;
  /** Training: tokens per sequence (at most the model's context). */
  seqLen: number;
  /**
   * Timed seconds per mode: training steps after one warm-up step (at least two timed steps); generation runs
   * after one warm-up run (at least two timed runs), so that a JIT's later tiers (V8 compiles JavaScript and
   * WebAssembly in tiers) are what is measured, as a long generation gets them.
   */
  seconds: number;
  /** Generation: new tokens after a one-token prompt (default min(255, context - 1)). */
  newTokens?: number;
  lora?: LoraConfig;
  /** The backend running, as the rows name it. */
  backend: { name: string; threads: number | null };
  memory?: MemorySampler;
  /** Progress, a line at a time. */
  onMessage?: (line: string) => void;
  /** Seeds the weights (and LoRA's A) and the random tokens. */
  seed?: number;
}

const NO_MEMORY: MemorySampler = { sample: () => {}, take: () => 0 };

/**
 * Builds a model of `config` with random weights and measures each mode on the running backend: training and
 * LoRA steps on one fixed random batch (as the yardstick), then greedy decoding with the KV cache after an
 * untimed warm-up run. Tensor counts are read before the model is built and after it is disposed.
 */
export async function measureShape(options: MeasureOptions): Promise<Measurement[]> {
  const { config, modes, batch: B, seqLen: T, seconds } = options;
  const memory = options.memory ?? NO_MEMORY;
  const say = options.onMessage ?? (() => {});
  if (!Number.isInteger(T) || T < 1 || T > contextLength(config)) {
    throw new RangeError(`measureShape: seqLen must be from 1 to ${contextLength(config)}, got ${T}`);
  }
  const capacity = options.model ? null : backendCapacityProblem(config, tf.getBackend());
  if (capacity) throw new RangeError(`${options.name}: ${capacity}`);
  const tensorsBefore = tf.memory().numTensors;
  const seed = options.seed ?? 0;
  if (!options.model) say(`${options.name}: building the model (random weights)…`);
  const model = options.model ?? new LlamaModel(config, { seed });
  const shared = {
    preset: options.name,
    backend: options.backend.name,
    threads: options.backend.threads,
    tensorsBefore,
  };
  const measured: Omit<Measurement, 'tensorsAfter'>[] = [];
  try {
    memory.take();
    const batch = randomTokens(config.vocabSize, B, T, new Random(seed));
    for (const mode of modes) {
      if (mode === 'generate') continue;
      const tokens = await timeTraining(model, mode, batch, { ...options, seconds, say, memory });
      measured.push({ ...shared, mode, batch: B, seqLen: T, ...tokens, peakRssBytes: memory.take() });
    }
    if (modes.includes('generate')) {
      const newTokens = options.newTokens ?? Math.min(255, contextLength(config) - 1);
      say(`${options.name}: generating ${newTokens} tokens (greedy, KV cache)…`);
      const settings = { maxNewTokens: newTokens, temperature: 0 };
      await generate(model, [[1]], settings); // warm-up: kernels set up, JavaScript compiled
      let generated = 0;
      let decodeMs = 0;
      let perRun = 0;
      const started = performance.now();
      for (let runs = 0; runs < 2 || performance.now() - started < seconds * 1000; runs++) {
        const result = await generate(model, [[1]], { ...settings, onToken: () => memory.sample() });
        perRun ||= result.tokens[0]!.length;
        generated += result.tokens[0]!.length;
        decodeMs += result.decodeMs;
      }
      measured.push({
        ...shared,
        mode: 'generate',
        batch: 1,
        seqLen: 1,
        tokens: generated,
        newTokens: perRun,
        tokensPerSecond: generated / (decodeMs / 1000),
        peakRssBytes: memory.take(),
      });
    }
  } finally {
    try {
      if (!options.model) model.dispose();
    } catch {
      // Disposal after a failed step (an aborted wasm module) must not hide the step's own error.
    }
  }
  const tensorsAfter = tf.memory().numTensors;
  return measured.map((row) => ({ ...row, tensorsAfter }));
}

/** Steps on one batch until `seconds` have passed (at least two), after a warm-up step; tokens and tokens/s. */
async function timeTraining(
  model: LlamaModel,
  mode: 'train' | 'lora',
  batch: TokenBatch,
  options: MeasureOptions & { say: (line: string) => void; memory: MemorySampler },
): Promise<{ tokens: number; tokensPerSecond: number }> {
  const { batchSize: B, seqLen: T } = batch;
  const lora = mode === 'lora' ? new LoraModel(model, { ...BENCH_LORA, ...options.lora }) : null;
  const trainable: TrainableModel = lora ?? model;
  const objective = (
    lora
      ? (wrapper: LoraModel, b: TokenBatch) => languageModelObjective(wrapper.llama, b)
      : languageModelObjective
  ) as Objective<TrainableModel>;
  const trainer = new Trainer(
    trainable,
    { ...BENCH_TRAINER, steps: Number.MAX_SAFE_INTEGER, batchSize: B },
    objective,
    trainable.parameters(),
  );
  const source = { nextBatch: () => batch, getCursor: () => null, setCursor: () => {} };
  try {
    const what = lora
      ? `LoRA r=${lora.adapterConfig().r} on ${lora.targetModules().length} modules`
      : 'training';
    options.say(`${options.name}: ${what}, batch ${B} × ${T} tokens, ${options.seconds} s…`);
    await trainer.trainStep(source); // warm-up: kernels compiled, optimizer state allocated
    options.memory.sample();
    const started = performance.now();
    let steps = 0;
    while (steps < 2 || performance.now() - started < options.seconds * 1000) {
      await trainer.trainStep(source);
      options.memory.sample();
      steps++;
    }
    const elapsed = (performance.now() - started) / 1000;
    return { tokens: steps * B * T, tokensPerSecond: (steps * B * T) / elapsed };
  } finally {
    trainer.dispose();
    lora?.dispose(); // the base model's own modules back in place
  }
}
