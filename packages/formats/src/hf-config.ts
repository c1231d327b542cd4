/**
 * HF transformers' config.json of the Llama family (model_type llama, mistral, qwen2) ↔ LlamaConfig: what each
 * key means here, the keys that are safe to ignore, and the refusal of everything else.
 */
import { type LlamaConfig, LlamaConfigError, validateConfig } from './config.js';
import { multipleOfFromHiddenDim } from './expected-tensor-shapes.js';
import { hfRopeScaling, ropeOf } from './hf-rope-config.js';
import { isRecord } from './json-record.js';
import { type StorageDtype, WeightFileError } from './state-dict.js';

// config.json key of each LlamaConfig field, to read the file and to name fields in its errors.
const HF_KEY = {
  dim: 'hidden_size',
  hiddenDim: 'intermediate_size',
  nLayers: 'num_hidden_layers',
  nHeads: 'num_attention_heads',
  nKvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  vocabSize: 'vocab_size',
  maxSeqLen: 'max_position_embeddings',
  normEps: 'rms_norm_eps',
  ropeTheta: 'rope_theta',
  ropeScaling: 'rope_scaling',
  tieEmbeddings: 'tie_word_embeddings',
  slidingWindow: 'sliding_window',
} as const;

const TORCH_DTYPE: Record<StorageDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** The model_type values read here: the Llama family whose arithmetic this model computes. */
export const HF_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const;
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

// The keys each model type's transformers config reads, besides the shape keys every type shares.
const TYPE_KEYS: Record<HfModelType, readonly string[]> = {
  llama: ['attention_bias', 'mlp_bias'],
  mistral: ['sliding_window'],
  qwen2: ['use_sliding_window', 'sliding_window', 'max_window_layers', 'layer_types'],
};
const SHARED_KEYS = [
  'model_type',
  'hidden_act',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'vocab_size',
  'max_position_embeddings',
  'rms_norm_eps',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'partial_rotary_factor',
  'tie_word_embeddings',
  'attention_dropout',
];

/**
 * Keys that never change what the decoder computes, so a config may carry them: provenance, token ids (the
 * tokenizer's business), initialisation, caching, generation defaults and head labels that transformers'
 * PretrainedConfig (and the trainers that wrote these files) save. Any key outside this list and the keys read
 * above is refused: a key we do not know might change the arithmetic, and a wrong model must not load quietly.
 */
export const HF_CONFIG_KEYS_SAFE_TO_IGNORE: ReadonlySet<string> = new Set([
  // provenance and storage
  'architectures',
  'transformers_version',
  'torch_dtype',
  'dtype',
  '_name_or_path',
  'name_or_path',
  'is_llama_config', // nanotron's tag (SmolLM)
  'rope_interleaved', // nanotron's; transformers ignores it and rotates halves, as this loader does
  'use_mrope', // Qwen2 configs carry false; true is refused below (Qwen2-VL's multimodal RoPE)
  'pretraining_tp', // transformers 4's tensor-parallel matmul split: the same products, summed in slices
  // token ids
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'sep_token_id',
  'decoder_start_token_id',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'tokenizer_class',
  'suppress_tokens',
  'begin_suppress_tokens',
  // initialisation, caching and output switches
  'initializer_range',
  'use_cache',
  'output_attentions',
  'output_hidden_states',
  'return_dict',
  'torchscript',
  'use_bfloat16',
  'tf_legacy_loss',
  'chunk_size_feed_forward',
  'pruned_heads',
  // generation defaults (generation_config.json's business)
  'max_length',
  'min_length',
  'do_sample',
  'early_stopping',
  'num_beams',
  'num_beam_groups',
  'diversity_penalty',
  'temperature',
  'top_k',
  'top_p',
  'typical_p',
  'repetition_penalty',
  'length_penalty',
  'no_repeat_ngram_size',
  'encoder_no_repeat_ngram_size',
  'bad_words_ids',
  'num_return_sequences',
  'output_scores',
  'return_dict_in_generate',
  'remove_invalid_values',
  'exponential_decay_length_penalty',
  // task heads and encoder-decoder switches that a causal LM ignores
  'id2label',
  'label2id',
  'finetuning_task',
  'problem_type',
  'task_specific_params',
  'prefix',
  'is_decoder',
  'is_encoder_decoder',
  'add_cross_attention',
  'cross_attention_hidden_size',
  'tie_encoder_decoder',
]);
/**
 * LlamaConfig from a HF config.json of model_type `llama`, `mistral` or `qwen2`, written by transformers 4
 * (`rope_theta`, `rope_scaling`) or 5 (`rope_parameters`). Missing optional keys take transformers' defaults
 * (num_key_value_heads = num_attention_heads, head_dim = hidden_size / num_attention_heads, rms_norm_eps 1e-6,
 * rope_theta 10000, untied head; Mistral's sliding_window 4096). A key that is neither read here nor in
 * HF_CONFIG_KEYS_SAFE_TO_IGNORE, and a value this model cannot compute, is refused with the key named.
 */
export function configFromHfJson(json: unknown, fileName: string): LlamaConfig {
  const fail = (problem: string) => new WeightFileError(fileName, problem);
  if (!isRecord(json)) throw fail('config is not a JSON object');
  const show = (value: unknown) => JSON.stringify(value);

  const modelType = (json.model_type ?? 'llama') as HfModelType;
  if (!HF_MODEL_TYPES.includes(modelType)) {
    throw fail(
      `model_type ${show(json.model_type)} is not supported (expected one of ${HF_MODEL_TYPES.map((type) => `"${type}"`).join(', ')})`,
    );
  }
  for (const key of Object.keys(json)) {
    if (SHARED_KEYS.includes(key) || TYPE_KEYS[modelType].includes(key)) continue;
    if (HF_CONFIG_KEYS_SAFE_TO_IGNORE.has(key)) continue;
    const value = json[key];
    // Another type's key at its neutral value (Qwen2's max_window_layers means nothing without a window).
    const neutral = value === null || value === false || key === 'max_window_layers';
    if (Object.values(TYPE_KEYS).some((keys) => keys.includes(key)) && neutral) continue;
    throw fail(
      `"${key}": ${show(value)} is not a key this loader knows for model_type "${modelType}"; it may change ` +
        'what the model computes, so the model is refused rather than loaded without it',
    );
  }
  if (json.use_mrope === true) throw fail('use_mrope: true (multimodal RoPE) is not supported');

  const positiveInteger = (key: string, fallback?: number): number => {
    const value = json[key] ?? fallback;
    if (value === undefined) throw fail(`"${key}" is missing`);
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw fail(`"${key}" must be a positive integer, got ${show(value)}`);
    }
    return value as number;
  };
  const positiveNumber = (value: unknown, key: string): number => {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw fail(`"${key}" must be a positive number, got ${show(value)}`);
    }
    return value;
  };
  const boolean = (key: string): boolean => {
    const value = json[key] ?? false;
    if (typeof value !== 'boolean') throw fail(`"${key}" must be a boolean, got ${show(value)}`);
    return value;
  };

  if (json.hidden_act !== undefined && json.hidden_act !== 'silu') {
    throw fail(`hidden_act ${show(json.hidden_act)} is not supported (Llama's SwiGLU uses "silu")`);
  }
  if ((json.attention_dropout ?? 0) !== 0) {
    throw fail(
      `attention_dropout ${show(json.attention_dropout)} is not supported (only 0: no attention dropout)`,
    );
  }
  if ((json.partial_rotary_factor ?? 1) !== 1) {
    throw fail(
      `partial_rotary_factor ${show(json.partial_rotary_factor)} is not supported (only 1: every dimension rotates)`,
    );
  }

  const dim = positiveInteger(HF_KEY.dim);
  const nHeads = positiveInteger(HF_KEY.nHeads);
  if (json.head_dim == null && dim % nHeads !== 0) {
    throw fail(
      `hidden_size ${dim} is not divisible by num_attention_heads ${nHeads} (and there is no head_dim)`,
    );
  }
  const attentionBias = modelType === 'llama' && boolean('attention_bias');
  const config: LlamaConfig = {
    dim,
    hiddenDim: positiveInteger(HF_KEY.hiddenDim),
    multipleOf: 1, // set below, once the config is known to be valid
    nLayers: positiveInteger(HF_KEY.nLayers),
    nHeads,
    nKvHeads: positiveInteger(HF_KEY.nKvHeads, nHeads),
    headDim: json.head_dim == null ? dim / nHeads : positiveInteger(HF_KEY.headDim),
    vocabSize: positiveInteger(HF_KEY.vocabSize),
    maxSeqLen: positiveInteger(HF_KEY.maxSeqLen),
    normEps: positiveNumber(json[HF_KEY.normEps] ?? 1e-6, HF_KEY.normEps),
    ropeTheta: 10000, // set below, with the scaling
    tieEmbeddings: boolean(HF_KEY.tieEmbeddings),
    ropeScaling: null,
    qkvBias: modelType === 'qwen2' || attentionBias,
    attentionOutputBias: attentionBias,
    mlpBias: modelType === 'llama' && boolean('mlp_bias'),
    slidingWindow: slidingWindowOf(json, modelType, fail),
  };
  const rope = ropeOf(json, config.maxSeqLen, fail);
  config.ropeTheta = rope.theta;
  config.ropeScaling = rope.scaling;
  try {
    validateConfig(config);
  } catch (error) {
    if (!(error instanceof LlamaConfigError)) throw error;
    // "config.nKvHeads 3 does not divide config.nHeads 4" → "num_key_value_heads 3 does not divide ..."
    throw fail(error.message.replace(/config\.(\w+)/g, (field, key: string) => hfKeyOf(key) ?? field));
  }
  config.multipleOf = multipleOfFromHiddenDim(dim, config.hiddenDim);
  return config;
}

/** The window of a sliding-window config (Mistral; Qwen2 with use_sliding_window), or null for full attention. */
function slidingWindowOf(
  json: Record<string, unknown>,
  modelType: HfModelType,
  fail: (problem: string) => Error,
): number | null {
  const window = (value: unknown): number => {
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw fail(`sliding_window must be a positive integer or null, got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  if (modelType === 'mistral') {
    const value = json.sliding_window === undefined ? 4096 : json.sliding_window; // MistralConfig's default
    return value === null ? null : window(value);
  }
  if (modelType !== 'qwen2') return null;
  const layerTypes = json.layer_types;
  if (layerTypes !== undefined && layerTypes !== null) {
    if (
      !Array.isArray(layerTypes) ||
      layerTypes.some((t) => t !== 'full_attention' && t !== 'sliding_attention')
    ) {
      throw fail(
        `layer_types must list "full_attention" or "sliding_attention" per layer, got ${JSON.stringify(layerTypes)}`,
      );
    }
    // Some layers slide: the whole model is exact while sequences fit the window, and refuses longer ones.
    return layerTypes.includes('sliding_attention') ? window(json.sliding_window) : null;
  }
  if (json.use_sliding_window !== true) return null;
  const layers = json.num_hidden_layers as number;
  const fullLayers = (json.max_window_layers ?? 28) as number; // Qwen2Config: layers below it attend fully
  return fullLayers < layers ? window(json.sliding_window ?? 4096) : null;
}

/**
 * The config.json that transformers writes for this config (dtype: that of the weights), in the form both
 * transformers 4 and 5 read: `model_type` "qwen2" for q/k/v biases without an output bias, "mistral" for a
 * sliding window, "llama" otherwise.
 */
export function hfJsonFromConfig(config: LlamaConfig, dtype: StorageDtype = 'F32'): Record<string, unknown> {
  validateConfig(config);
  const anyBias = config.qkvBias || config.attentionOutputBias || config.mlpBias;
  const modelType: HfModelType =
    config.qkvBias && !config.attentionOutputBias && !config.mlpBias
      ? 'qwen2'
      : config.slidingWindow !== null && !anyBias
        ? 'mistral'
        : 'llama';
  if (modelType === 'llama' && config.slidingWindow !== null) {
    throw new LlamaConfigError(
      'hfJsonFromConfig: a sliding window with these biases is no transformers model',
    );
  }
  if (modelType === 'llama' && config.qkvBias !== config.attentionOutputBias) {
    throw new LlamaConfigError(
      'hfJsonFromConfig: transformers Llama biases all four attention projections or none (attention_bias)',
    );
  }
  const architecture = {
    llama: 'LlamaForCausalLM',
    mistral: 'MistralForCausalLM',
    qwen2: 'Qwen2ForCausalLM',
  };
  const json: Record<string, unknown> = {
    architectures: [architecture[modelType]],
    model_type: modelType,
    hidden_act: 'silu',
    [HF_KEY.dim]: config.dim,
    [HF_KEY.hiddenDim]: config.hiddenDim,
    [HF_KEY.nLayers]: config.nLayers,
    [HF_KEY.nHeads]: config.nHeads,
    [HF_KEY.nKvHeads]: config.nKvHeads,
    [HF_KEY.headDim]: config.headDim,
    [HF_KEY.vocabSize]: config.vocabSize,
    [HF_KEY.maxSeqLen]: config.maxSeqLen,
    [HF_KEY.normEps]: config.normEps,
    [HF_KEY.ropeTheta]: config.ropeTheta,
    [HF_KEY.ropeScaling]: hfRopeScaling(config.ropeScaling),
    [HF_KEY.tieEmbeddings]: config.tieEmbeddings,
    attention_dropout: 0.0,
    initializer_range: 0.02, // llama2.c's init std
    use_cache: true,
    bos_token_id: 1, // Llama 2 SentencePiece: <s> = 1, </s> = 2
    eos_token_id: 2,
    torch_dtype: TORCH_DTYPE[dtype],
  };
  if (modelType === 'llama')
    Object.assign(json, { attention_bias: config.qkvBias, mlp_bias: config.mlpBias, pretraining_tp: 1 });
  if (modelType === 'mistral') json[HF_KEY.slidingWindow] = config.slidingWindow;
  if (modelType === 'qwen2') {
    const sliding = config.slidingWindow !== null;
    Object.assign(json, {
      use_sliding_window: sliding,
      sliding_window: config.slidingWindow,
      max_window_layers: sliding ? 0 : config.nLayers,
      layer_types: Array.from({ length: config.nLayers }, () =>
        sliding ? 'sliding_attention' : 'full_attention',
      ),
    });
  }
  return json;
}

function hfKeyOf(field: string): string | undefined {
  return Object.hasOwn(HF_KEY, field) ? HF_KEY[field as keyof typeof HF_KEY] : undefined;
}
