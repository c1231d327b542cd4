/** The shape of a Llama-2 decoder. Names follow llama2.c's ModelArgs; HF's names are mapped in hf-config.ts. */
export interface LlamaConfig {
  dim: number; // width of the residual stream
  nLayers: number;
  nHeads: number;
  nKvHeads: number; // grouped-query attention: must divide nHeads; equal to nHeads for plain multi-head
  vocabSize: number;
  hiddenDim: number; // SwiGLU width: llama2.c's rule from dim and multipleOf unless a file says otherwise
  multipleOf: number; // the hidden width is rounded up to a multiple of this
  normEps: number; // RMSNorm epsilon: 1e-5 in Llama 2 and tinyllamas
  maxSeqLen: number; // context length; rotary tables are precomputed for it
  ropeTheta: number; // RoPE base: 10000 in Llama 2
  tieEmbeddings: boolean; // output head shares the token embedding matrix (llama2.c does; Llama 2 7B does not)
}

/** The parts a caller must give; the rest take Llama 2 / llama2.c defaults. */
export type LlamaConfigInput = Pick<LlamaConfig, 'dim' | 'nLayers' | 'nHeads' | 'vocabSize' | 'maxSeqLen'> &
  Partial<LlamaConfig>;

/** llama2.c "tinyllamas" shapes (Karpathy, trained on TinyStories). */
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
  const config: LlamaConfig = {
    dim: input.dim,
    nLayers: input.nLayers,
    nHeads: input.nHeads,
    nKvHeads: input.nKvHeads ?? input.nHeads,
    vocabSize: input.vocabSize,
    multipleOf,
    hiddenDim:
      input.hiddenDim ?? (isPositiveInteger(input.dim) ? swiGluHiddenDim(input.dim, multipleOf) : NaN),
    normEps: input.normEps ?? 1e-5,
    maxSeqLen: input.maxSeqLen,
    ropeTheta: input.ropeTheta ?? 10000,
    tieEmbeddings: input.tieEmbeddings ?? true,
  };
  validateConfig(config);
  return config;
}

/** A preset by name, with overrides (e.g. a smaller vocabulary for a trained tokenizer). */
export function presetConfig(name: string, overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  if (!(name in LLAMA_PRESETS)) {
    throw new LlamaConfigError(
      `unknown preset "${name}": expected one of ${Object.keys(LLAMA_PRESETS).join(', ')}`,
    );
  }
  const preset = LLAMA_PRESETS[name as LlamaPresetName];
  // An explicit hiddenDim in the overrides wins; otherwise recompute from the (possibly overridden) dim.
  return resolveConfig({ ...preset, ...overrides });
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
    'vocabSize',
    'hiddenDim',
    'maxSeqLen',
  ] as const) {
    if (!isPositiveInteger(config[field])) {
      throw new LlamaConfigError(`config.${field} must be a positive integer, got ${config[field]}`);
    }
  }
  if (config.dim % config.nHeads !== 0) {
    throw new LlamaConfigError(`config.dim ${config.dim} is not divisible by config.nHeads ${config.nHeads}`);
  }
  if (config.nHeads % config.nKvHeads !== 0) {
    throw new LlamaConfigError(
      `config.nKvHeads ${config.nKvHeads} does not divide config.nHeads ${config.nHeads} (grouped-query attention)`,
    );
  }
  if ((config.dim / config.nHeads) % 2 !== 0) {
    throw new LlamaConfigError(
      `config.dim / config.nHeads = ${config.dim / config.nHeads} must be even (rotary embeddings rotate pairs)`,
    );
  }
  if (!(config.normEps > 0))
    throw new LlamaConfigError(`config.normEps must be positive, got ${config.normEps}`);
  if (!(config.ropeTheta > 0))
    throw new LlamaConfigError(`config.ropeTheta must be positive, got ${config.ropeTheta}`);
  if (typeof config.tieEmbeddings !== 'boolean') {
    throw new LlamaConfigError(`config.tieEmbeddings must be a boolean, got ${String(config.tieEmbeddings)}`);
  }
}

/** Parameter count of a model with this config (the tied head counted once). */
export function parameterCount(config: LlamaConfig): number {
  const { dim, nLayers, nHeads, nKvHeads, vocabSize, hiddenDim, tieEmbeddings } = config;
  const kvDim = (dim / nHeads) * nKvHeads;
  const attention = dim * dim * 2 + dim * kvDim * 2;
  const feedForward = 3 * dim * hiddenDim;
  const perLayer = attention + feedForward + 2 * dim;
  return vocabSize * dim * (tieEmbeddings ? 1 : 2) + nLayers * perLayer + dim;
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}
