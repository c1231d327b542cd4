/**
 * HF transformers' Llama layout (LlamaForCausalLM): config.json ↔ LlamaConfig, the q/k row permutation
 * between HF's rotate-half RoPE and the interleaved layout of our StateDict, and the sharded-checkpoint index.
 * Tensor names are already HF's (see ../state-dict.ts), so the only weight change is that permutation.
 */
import { type LlamaConfig, LlamaConfigError, validateConfig } from './config.js';
import {
  expectedTensorShapes,
  findTensorShapeProblem,
  multipleOfFromHiddenDim,
} from './expected-tensor-shapes.js';
import { type NamedTensor, type StateDict, type StorageDtype, WeightFileError } from './state-dict.js';

const EMBED_TOKENS = 'model.embed_tokens.weight';
const LM_HEAD = 'lm_head.weight';

// Older transformers saved the rotary inverse frequencies as a buffer; they are recomputed from the config.
const HARMLESS_EXTRA = /^model\.(layers\.\d+\.self_attn\.)?rotary_emb\.inv_freq$/;

// config.json key of each LlamaConfig field, to read the file and to name fields in its errors.
const HF_KEY = {
  dim: 'hidden_size',
  hiddenDim: 'intermediate_size',
  nLayers: 'num_hidden_layers',
  nHeads: 'num_attention_heads',
  nKvHeads: 'num_key_value_heads',
  vocabSize: 'vocab_size',
  maxSeqLen: 'max_position_embeddings',
  normEps: 'rms_norm_eps',
  ropeTheta: 'rope_theta',
  tieEmbeddings: 'tie_word_embeddings',
} as const;

const TORCH_DTYPE: Record<StorageDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** A sharded checkpoint's model.safetensors.index.json. */
export interface ShardIndex {
  metadata: Record<string, unknown>; // e.g. {total_size}
  weightMap: Map<string, string>; // tensor name → shard file name
  shardFiles: string[]; // each shard once, sorted (model-00001-of-00002.safetensors, ...)
}

/**
 * LlamaConfig from a HF config.json. Missing optional keys take HF's LlamaConfig defaults (transformers
 * models/llama/configuration_llama.py): num_key_value_heads = num_attention_heads, rms_norm_eps 1e-6,
 * rope_theta 10000, tie_word_embeddings false. Features this model does not implement are rejected rather
 * than silently ignored.
 */
export function configFromHfJson(json: unknown, fileName: string): LlamaConfig {
  const fail = (problem: string) => new WeightFileError(fileName, problem);
  if (!isRecord(json)) throw fail('config is not a JSON object');

  const positiveInteger = (key: string, fallback?: number): number => {
    const value = json[key] ?? fallback;
    if (value === undefined) throw fail(`"${key}" is missing`);
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw fail(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  const positiveNumber = (key: string, fallback: number): number => {
    const value = json[key] ?? fallback;
    if (typeof value !== 'number' || !(value > 0)) {
      throw fail(`"${key}" must be a positive number, got ${JSON.stringify(value)}`);
    }
    return value;
  };

  if (json.model_type !== undefined && json.model_type !== 'llama') {
    throw fail(`model_type ${JSON.stringify(json.model_type)} is not supported (expected "llama")`);
  }
  if (json.hidden_act !== undefined && json.hidden_act !== 'silu') {
    throw fail(`hidden_act ${JSON.stringify(json.hidden_act)} is not supported (Llama's SwiGLU uses "silu")`);
  }
  if (json.rope_scaling !== undefined && json.rope_scaling !== null) {
    throw fail(`rope_scaling ${JSON.stringify(json.rope_scaling)} is not supported (plain RoPE only)`);
  }
  for (const key of ['attention_bias', 'mlp_bias']) {
    if (json[key] === true) throw fail(`${key}: true is not supported (Llama's projections have no bias)`);
  }
  const tieEmbeddings = json[HF_KEY.tieEmbeddings] ?? false;
  if (typeof tieEmbeddings !== 'boolean') {
    throw fail(`"${HF_KEY.tieEmbeddings}" must be a boolean, got ${JSON.stringify(tieEmbeddings)}`);
  }

  const dim = positiveInteger(HF_KEY.dim);
  const nHeads = positiveInteger(HF_KEY.nHeads);
  const hiddenDim = positiveInteger(HF_KEY.hiddenDim);
  const config: LlamaConfig = {
    dim,
    hiddenDim,
    multipleOf: 1, // set below, once the config is known to be valid
    nLayers: positiveInteger(HF_KEY.nLayers),
    nHeads,
    nKvHeads: positiveInteger(HF_KEY.nKvHeads, nHeads),
    vocabSize: positiveInteger(HF_KEY.vocabSize),
    maxSeqLen: positiveInteger(HF_KEY.maxSeqLen),
    normEps: positiveNumber(HF_KEY.normEps, 1e-6),
    ropeTheta: positiveNumber(HF_KEY.ropeTheta, 10000),
    tieEmbeddings,
  };
  if (json.head_dim !== undefined && json.head_dim !== null && json.head_dim !== dim / nHeads) {
    throw fail(
      `head_dim ${JSON.stringify(json.head_dim)} is not supported: this model uses ` +
        `hidden_size / num_attention_heads = ${dim / nHeads}`,
    );
  }
  try {
    validateConfig(config);
  } catch (error) {
    if (!(error instanceof LlamaConfigError)) throw error;
    // "config.dim 10 is not divisible by config.nHeads 3" → "hidden_size 10 is not divisible by ..."
    throw fail(error.message.replace(/config\.(\w+)/g, (field, key: string) => hfKeyOf(key) ?? field));
  }
  config.multipleOf = multipleOfFromHiddenDim(dim, hiddenDim);
  return config;
}

/** The config.json that transformers' LlamaConfig writes for this config (dtype: that of the weights). */
export function hfJsonFromConfig(config: LlamaConfig, dtype: StorageDtype = 'F32'): Record<string, unknown> {
  validateConfig(config);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    [HF_KEY.dim]: config.dim,
    [HF_KEY.hiddenDim]: config.hiddenDim,
    [HF_KEY.nLayers]: config.nLayers,
    [HF_KEY.nHeads]: config.nHeads,
    [HF_KEY.nKvHeads]: config.nKvHeads,
    head_dim: config.dim / config.nHeads,
    [HF_KEY.vocabSize]: config.vocabSize,
    [HF_KEY.maxSeqLen]: config.maxSeqLen,
    [HF_KEY.normEps]: config.normEps,
    [HF_KEY.ropeTheta]: config.ropeTheta,
    rope_scaling: null,
    [HF_KEY.tieEmbeddings]: config.tieEmbeddings,
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    initializer_range: 0.02, // llama2.c's init std
    pretraining_tp: 1,
    use_cache: true,
    bos_token_id: 1, // Llama 2 SentencePiece: <s> = 1, </s> = 2
    eos_token_id: 2,
    torch_dtype: TORCH_DTYPE[dtype],
  };
}

/**
 * Interleaved (Meta, llama2.c) q/k rows → HF's rotate-half order, on a row-major [rows, cols] matrix. Mirrors
 * `permute` in transformers' convert_llama_weights_to_hf.py:
 *   w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)
 * so within each head the even rows (first of each rotated pair) come first, then the odd rows.
 * q_proj uses nHeads, k_proj nKvHeads.
 */
export function permuteForHf(weight: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  return moveRotaryRows(weight, nHeads, rows, cols, 'toHf');
}

/** The inverse of `permuteForHf`: HF's rotate-half q/k rows → interleaved pairs. */
export function unpermuteFromHf(
  weight: Float32Array,
  nHeads: number,
  rows: number,
  cols: number,
): Float32Array {
  return moveRotaryRows(weight, nHeads, rows, cols, 'fromHf');
}

/**
 * Our StateDict from the tensors of a HF Llama checkpoint (all shards merged): checks that each expected
 * tensor is there with its shape and nothing unknown is, and unpermutes q_proj / k_proj. Other tensors are
 * passed through, sharing their data with `tensors`.
 */
export function stateDictFromHfTensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  config: LlamaConfig,
  fileName: string,
): StateDict {
  let source = tensors;
  const head = tensors.get(LM_HEAD);
  if (config.tieEmbeddings && head) {
    // A checkpoint written from a plain PyTorch state_dict keeps the tied head as its own copy: fine when it is
    // the embedding, a contradiction of the config when it is not.
    const embedding = tensors.get(EMBED_TOKENS);
    if (embedding && !sameValues(head.data, embedding.data)) {
      throw new WeightFileError(
        fileName,
        `${LM_HEAD} differs from ${EMBED_TOKENS}, but tie_word_embeddings is true in the config`,
      );
    }
    const withoutHead = new Map(tensors);
    withoutHead.delete(LM_HEAD);
    source = withoutHead;
  }
  const problem = findTensorShapeProblem(source, config, (name) => HARMLESS_EXTRA.test(name));
  if (problem) throw new WeightFileError(fileName, problem);

  const stateDict: StateDict = new Map();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const { data } = source.get(name)!;
    const heads = rotaryHeads(name, config);
    const [rows, cols] = shape as [number, number];
    stateDict.set(name, {
      shape: [...shape],
      data: heads === undefined ? data : unpermuteFromHf(data, heads, rows, cols),
    });
  }
  return stateDict;
}

/** HF checkpoint tensors from our StateDict: q_proj / k_proj permuted; no lm_head.weight when tied. */
export function hfTensorsFromStateDict(stateDict: StateDict, config: LlamaConfig): Map<string, NamedTensor> {
  validateConfig(config);
  const problem = findTensorShapeProblem(stateDict, config);
  if (problem) throw new Error(`hfTensorsFromStateDict: ${problem}`);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const { data } = stateDict.get(name)!;
    const heads = rotaryHeads(name, config);
    const [rows, cols] = shape as [number, number];
    tensors.set(name, {
      shape: [...shape],
      data: heads === undefined ? data : permuteForHf(data, heads, rows, cols),
    });
  }
  return tensors;
}

/** Validates a model.safetensors.index.json (`{metadata, weight_map}`) and lists its shards. */
export function parseShardIndex(json: unknown, fileName: string): ShardIndex {
  const fail = (problem: string) => new WeightFileError(fileName, problem);
  if (!isRecord(json)) throw fail('index is not a JSON object');
  const metadata = json.metadata ?? {};
  if (!isRecord(metadata)) throw fail(`"metadata" must be an object, got ${JSON.stringify(metadata)}`);
  const weightMap = json.weight_map;
  if (!isRecord(weightMap))
    throw fail('"weight_map" is missing or not an object of tensor name → shard file');

  const map = new Map<string, string>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || file === '') {
      throw fail(`weight_map."${name}" must be a shard file name, got ${JSON.stringify(file)}`);
    }
    // Shards sit beside the index; a path here could make a loader read any file.
    if (/[/\\]/.test(file) || file === '.' || file === '..') {
      throw fail(`weight_map."${name}" names "${file}", which is not a plain file name beside the index`);
    }
    map.set(name, file);
  }
  if (map.size === 0) throw fail('"weight_map" is empty');
  return { metadata: { ...metadata }, weightMap: map, shardFiles: [...new Set(map.values())].sort() };
}

/**
 * Moves whole rows: within each head, interleaved row 2i + j ↔ HF row j · headDim/2 + i (j = 0, 1), i.e.
 * [nHeads, headDim/2, 2, cols] ↔ [nHeads, 2, headDim/2, cols].
 */
function moveRotaryRows(
  weight: Float32Array,
  nHeads: number,
  rows: number,
  cols: number,
  direction: 'toHf' | 'fromHf',
): Float32Array {
  const operation = direction === 'toHf' ? 'permuteForHf' : 'unpermuteFromHf';
  if (!Number.isInteger(nHeads) || nHeads <= 0 || rows % (2 * nHeads) !== 0) {
    throw new Error(`${operation}: rows ${rows} must split into ${nHeads} heads of an even size`);
  }
  if (weight.length !== rows * cols) {
    throw new Error(`${operation}: weight has ${weight.length} values, expected rows ${rows} × cols ${cols}`);
  }
  const headDim = rows / nHeads;
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleavedRow = h * headDim + 2 * i + j;
        const hfRow = h * headDim + j * half + i;
        const [from, to] = direction === 'toHf' ? [interleavedRow, hfRow] : [hfRow, interleavedRow];
        out.set(weight.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

/** How many heads a tensor's rows are split into for RoPE: q_proj nHeads, k_proj nKvHeads, others none. */
function rotaryHeads(name: string, config: LlamaConfig): number | undefined {
  if (name.endsWith('.self_attn.q_proj.weight')) return config.nHeads;
  if (name.endsWith('.self_attn.k_proj.weight')) return config.nKvHeads;
  return undefined;
}

function hfKeyOf(field: string): string | undefined {
  return Object.hasOwn(HF_KEY, field) ? HF_KEY[field as keyof typeof HF_KEY] : undefined;
}

/** Bitwise equality: a tied head saved as its own copy is bit-identical to the embedding (NaN included). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < aBits.length; i++) if (aBits[i] !== bBits[i]) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
