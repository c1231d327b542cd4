/**
 * The shape of a Llama-family decoder (Llama 2 and 3, TinyLlama, SmolLM, Mistral, Qwen2). Names follow llama2.c's
 * ModelArgs; HF's config.json keys are mapped in hf-config.ts.
 */
export interface LlamaConfig {
  dim: number; // width of the residual stream
  nLayers: number;
  nHeads: number;
  nKvHeads: number; // grouped-query attention: must divide nHeads; equal to nHeads for plain multi-head
  headDim: number; // width of one attention head: dim / nHeads unless a file says otherwise (HF's head_dim)
  vocabSize: number;
  hiddenDim: number; // SwiGLU width: llama2.c's rule from dim and multipleOf unless a file says otherwise
  multipleOf: number; // the hidden width is rounded up to a multiple of this
  normEps: number; // RMSNorm epsilon: 1e-5 in Llama 2 and tinyllamas
  maxSeqLen: number; // context length; rotary tables are precomputed for it
  ropeTheta: number; // RoPE base: 10000 in Llama 2
  tieEmbeddings: boolean; // output head shares the token embedding matrix (llama2.c does; Llama 2 7B does not)
  ropeScaling: RopeScaling | null; // how the rotary frequencies are stretched for long contexts (Llama 3.1+)
  qkvBias: boolean; // biases on the q, k and v projections (Qwen2; HF Llama's attention_bias)
  attentionOutputBias: boolean; // a bias on the attention output projection (HF Llama's attention_bias)
  mlpBias: boolean; // biases on the three feed-forward projections (HF Llama's mlp_bias)
  /**
   * Mistral's sliding window: each token attends to at most this many positions (itself included). The model
   * is exact while a sequence fits the window and refuses a longer one; null: full causal attention.
   */
  slidingWindow: number | null;
}

/**
 * RoPE frequency scaling, as transformers computes it (modeling_rope_utils.py): `linear` divides every
 * frequency by `factor` (Chen et al. 2023, position interpolation); `dynamic` (NTK-aware) changes nothing
 * until a sequence outgrows `maxSeqLen`, which this model never lets it do; `llama3` divides the low frequencies
 * by `factor` and blends the middle band (Llama 3.1's long-context recipe).
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxSeqLen: number; // the context the model was pretrained at (8192 for Llama 3.1)
    };

/** The parts a caller must give; the rest take Llama 2 / llama2.c defaults. */
export type LlamaConfigInput = Pick<LlamaConfig, 'dim' | 'nLayers' | 'nHeads' | 'vocabSize' | 'maxSeqLen'> &
  Partial<LlamaConfig>;

/**
 * llama2.c "tinyllamas" shapes (Karpathy, trained on TinyStories), then the shapes of SmolLM2-135M and
 * TinyLlama-1.1B (their widths, depths, vocabularies and contexts; the weights come from a file or a seed).
 */
export const LLAMA_PRESETS = {
  stories260K: {
    dim: 64,
    nLayers: 5,
    nHeads: 8,
    nKvHeads: 4,
    vocabSize: 512,
    maxSeqLen: 512,
    multipleOf: 4,
  },
  stories15M: {
    dim: 288,
    nLayers: 6,
    nHeads: 6,
    nKvHeads: 6,
    vocabSize: 32000,
    maxSeqLen: 256,
    multipleOf: 32,
  },
  stories42M: {
    dim: 512,
    nLayers: 8,
    nHeads: 8,
    nKvHeads: 8,
    vocabSize: 32000,
    maxSeqLen: 1024,
    multipleOf: 32,
  },
  stories110M: {
    dim: 768,
    nLayers: 12,
    nHeads: 12,
    nKvHeads: 12,
    vocabSize: 32000,
    maxSeqLen: 1024,
    multipleOf: 32,
  },
  // Shapes of models people fine-tune, from their config.json on the Hub (random weights when made here).
  'SmolLM2-135M': {
    dim: 576,
    nLayers: 30,
    nHeads: 9,
    nKvHeads: 3,
    hiddenDim: 1536,
    vocabSize: 49152,
    maxSeqLen: 8192,
    ropeTheta: 100000,
    tieEmbeddings: true,
  },
  'TinyLlama-1.1B': {
    dim: 2048,
    nLayers: 22,
    nHeads: 32,
    nKvHeads: 4,
    hiddenDim: 5632,
    vocabSize: 32000,
    maxSeqLen: 2048,
    tieEmbeddings: false,
  },
} as const satisfies Record<string, LlamaConfigInput>;

export type LlamaPresetName = keyof typeof LLAMA_PRESETS;

export class LlamaConfigError extends Error {
  override name = 'LlamaConfigError';
}

/** llama2.c / Meta rule: 2/3 of 4·dim (SwiGLU has three matrices instead of two), rounded up to multipleOf. */
export function swiGluHiddenDim(dim: number, multipleOf = 256): number {
  if (!Number.isInteger(multipleOf) || multipleOf <= 0) {
    throw new Error(`swiGluHiddenDim: multipleOf must be a positive integer, got ${multipleOf}`);
  }
  const hidden = Math.trunc((2 * (4 * dim)) / 3);
  return multipleOf * Math.ceil(hidden / multipleOf);
}

/** Fills defaults and validates; every error names the field. */
export function resolveConfig(input: LlamaConfigInput): LlamaConfig {
  const multipleOf = input.multipleOf ?? 256;
  if (input.headDim === undefined && input.dim % input.nHeads !== 0) {
    throw new LlamaConfigError(`config.dim ${input.dim} is not divisible by config.nHeads ${input.nHeads}`);
  }
  const config: LlamaConfig = {
    dim: input.dim,
    nLayers: input.nLayers,
    nHeads: input.nHeads,
    nKvHeads: input.nKvHeads ?? input.nHeads,
    headDim: input.headDim ?? input.dim / input.nHeads,
    vocabSize: input.vocabSize,
    multipleOf,
    hiddenDim:
      input.hiddenDim ?? (isPositiveInteger(input.dim) ? swiGluHiddenDim(input.dim, multipleOf) : NaN),
    normEps: input.normEps ?? 1e-5,
    maxSeqLen: input.maxSeqLen,
    ropeTheta: input.ropeTheta ?? 10000,
    tieEmbeddings: input.tieEmbeddings ?? true,
    ropeScaling: input.ropeScaling ?? null,
    qkvBias: input.qkvBias ?? false,
    attentionOutputBias: input.attentionOutputBias ?? false,
    mlpBias: input.mlpBias ?? false,
    slidingWindow: input.slidingWindow ?? null,
  };
  validateConfig(config);
  return config;
}

/**
 * The longest sequence the model computes exactly: its context (maxSeqLen), or a shorter sliding window (see
 * `slidingWindow`). What generation, perplexity windows and truncation size themselves by.
 */
export function contextLength(config: Pick<LlamaConfig, 'maxSeqLen' | 'slidingWindow'>): number {
  return Math.min(config.maxSeqLen, config.slidingWindow ?? Number.POSITIVE_INFINITY);
}

/** Whether a config is plain Llama 2 arithmetic (what llama2.c's files and run.c can hold). */
export function plainLlamaProblem(config: LlamaConfig): string | undefined {
  if (config.headDim !== config.dim / config.nHeads) {
    return `headDim ${config.headDim} differs from dim / nHeads = ${config.dim / config.nHeads}`;
  }
  if (config.ropeScaling) return `rope scaling "${config.ropeScaling.type}"`;
  if (config.qkvBias || config.attentionOutputBias || config.mlpBias) return 'projection biases';
  return undefined;
}

/** A preset by name, with overrides (e.g. a smaller vocabulary for a trained tokenizer). */
export function presetConfig(name: string, overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  if (!(name in LLAMA_PRESETS)) {
    throw new LlamaConfigError(
      `unknown preset "${name}": expected one of ${Object.keys(LLAMA_PRESETS).join(', ')}`,
    );
  }
  const preset = LLAMA_PRESETS[name as LlamaPresetName];
  // An explicit hiddenDim wins (the overrides', then the preset's); otherwise it follows the (possibly
  // overridden) dim by llama2.c's rule. A preset's hiddenDim is dropped when the overrides change dim.
  const { hiddenDim, ...shape } = preset as LlamaConfigInput;
  const keepHidden = overrides.dim === undefined || overrides.dim === preset.dim;
  return resolveConfig({ ...shape, ...(keepHidden && hiddenDim ? { hiddenDim } : {}), ...overrides });
}

/**
 * Upper bounds no Llama-family model comes near (Llama 3.1 405B: dim 16,384, 126 layers, a 128,256-token
 * vocabulary): a value beyond them is a corrupted or hostile file, refused before anything is sized by it.
 */
export const CONFIG_LIMITS = {
  dim: 1 << 16,
  nLayers: 1 << 12,
  nHeads: 1 << 12,
  nKvHeads: 1 << 12,
  headDim: 1 << 12,
  vocabSize: 1 << 22,
  hiddenDim: 1 << 18,
  maxSeqLen: 1 << 24,
} as const;

export function validateConfig(config: LlamaConfig): void {
  for (const [field, limit] of Object.entries(CONFIG_LIMITS) as [keyof typeof CONFIG_LIMITS, number][]) {
    if (config[field] > limit) {
      throw new LlamaConfigError(
        `config.${field} ${config[field]} is more than ${limit.toLocaleString('en-US')}: no model this library can hold (a corrupted file?)`,
      );
    }
  }
  for (const field of [
    'dim',
    'nLayers',
    'nHeads',
    'nKvHeads',
    'headDim',
    'vocabSize',
    'hiddenDim',
    'maxSeqLen',
  ] as const) {
    if (!isPositiveInteger(config[field])) {
      throw new LlamaConfigError(`config.${field} must be a positive integer, got ${config[field]}`);
    }
  }
  if (config.nHeads % config.nKvHeads !== 0) {
    throw new LlamaConfigError(
      `config.nKvHeads ${config.nKvHeads} does not divide config.nHeads ${config.nHeads} (grouped-query attention)`,
    );
  }
  if (config.headDim % 2 !== 0) {
    throw new LlamaConfigError(
      `config.headDim ${config.headDim} must be even (rotary embeddings rotate pairs)`,
    );
  }
  if (!(config.normEps > 0))
    throw new LlamaConfigError(`config.normEps must be positive, got ${config.normEps}`);
  if (!(config.ropeTheta > 0))
    throw new LlamaConfigError(`config.ropeTheta must be positive, got ${config.ropeTheta}`);
  for (const field of ['tieEmbeddings', 'qkvBias', 'attentionOutputBias', 'mlpBias'] as const) {
    if (typeof config[field] !== 'boolean') {
      throw new LlamaConfigError(`config.${field} must be a boolean, got ${String(config[field])}`);
    }
  }
  if (config.slidingWindow !== null && !isPositiveInteger(config.slidingWindow)) {
    throw new LlamaConfigError(
      `config.slidingWindow must be a positive integer or null, got ${String(config.slidingWindow)}`,
    );
  }
  validateRopeScaling(config.ropeScaling);
}

function validateRopeScaling(scaling: RopeScaling | null): void {
  if (scaling === null) return;
  const fail = (problem: string) => new LlamaConfigError(`config.ropeScaling${problem}`);
  if (typeof scaling !== 'object') throw fail(` must be an object or null, got ${String(scaling)}`);
  if (!['linear', 'dynamic', 'llama3'].includes(scaling.type)) {
    throw fail(`.type ${JSON.stringify(scaling.type)} is not one of linear, dynamic, llama3`);
  }
  if (!(typeof scaling.factor === 'number' && scaling.factor >= 1 && Number.isFinite(scaling.factor))) {
    throw fail(`.factor must be a number ≥ 1, got ${String(scaling.factor)}`);
  }
  if (scaling.type === 'llama3') {
    const { lowFreqFactor, highFreqFactor, originalMaxSeqLen } = scaling;
    if (!(lowFreqFactor > 0 && Number.isFinite(lowFreqFactor))) {
      throw fail(`.lowFreqFactor must be a positive number, got ${String(lowFreqFactor)}`);
    }
    if (!(highFreqFactor > lowFreqFactor && Number.isFinite(highFreqFactor))) {
      throw fail(
        `.highFreqFactor must be a number above lowFreqFactor ${lowFreqFactor}, got ${String(highFreqFactor)}`,
      );
    }
    if (!isPositiveInteger(originalMaxSeqLen)) {
      throw fail(`.originalMaxSeqLen must be a positive integer, got ${String(originalMaxSeqLen)}`);
    }
  }
}

/** Parameter count of a model with this config (the tied head counted once). */
export function parameterCount(config: LlamaConfig): number {
  const { dim, nLayers, nHeads, nKvHeads, headDim, vocabSize, hiddenDim, tieEmbeddings } = config;
  const qDim = nHeads * headDim;
  const kvDim = nKvHeads * headDim;
  const attention =
    2 * dim * qDim +
    2 * dim * kvDim +
    (config.qkvBias ? qDim + 2 * kvDim : 0) +
    (config.attentionOutputBias ? dim : 0);
  const feedForward = 3 * dim * hiddenDim + (config.mlpBias ? 2 * hiddenDim + dim : 0);
  const perLayer = attention + feedForward + 2 * dim;
  return vocabSize * dim * (tieEmbeddings ? 1 : 2) + nLayers * perLayer + dim;
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}
