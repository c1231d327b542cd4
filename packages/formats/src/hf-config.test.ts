import { describe, expect, it } from 'vitest';
import type { LlamaConfig } from './config.js';
import { multipleOfFromHiddenDim } from './expected-tensor-shapes.js';
import { configFromHfJson, HF_CONFIG_KEYS_SAFE_TO_IGNORE, hfJsonFromConfig } from './hf-config.js';
import { WeightFileError } from './state-dict.js';
import { thrown, tinyConfig } from './test-helpers.js';

describe('configFromHfJson / hfJsonFromConfig', () => {
  // The config.json of a stories15M converted to HF, with the keys transformers writes.
  const stories15M = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    hidden_size: 288,
    intermediate_size: 768,
    num_hidden_layers: 6,
    num_attention_heads: 6,
    num_key_value_heads: 6,
    vocab_size: 32000,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };

  it('refuses sizes no model comes near, naming the key (a tiny file must not claim a billion layers)', () => {
    expect(() => configFromHfJson({ ...stories15M, num_hidden_layers: 1e9 }, 'config.json')).toThrow(
      'config.json: num_hidden_layers 1000000000 is more than 4,096: no model this library can hold (a corrupted file?)',
    );
    expect(() => configFromHfJson({ ...stories15M, vocab_size: 2 ** 30 }, 'config.json')).toThrow(
      /vocab_size 1073741824 is more than 4,194,304/,
    );
  });

  it('maps the HF keys', () => {
    expect(configFromHfJson(stories15M, 'config.json')).toEqual({
      dim: 288,
      hiddenDim: 768,
      multipleOf: 256, // 768 is also llama2.c's rule for dim 288 at multipleOf 256
      nLayers: 6,
      nHeads: 6,
      nKvHeads: 6,
      vocabSize: 32000,
      maxSeqLen: 256,
      normEps: 1e-5,
      ropeTheta: 10000,
      tieEmbeddings: true,
      headDim: 48,
      ropeScaling: null,
      qkvBias: false,
      attentionOutputBias: false,
      mlpBias: false,
      slidingWindow: null,
    });
  });

  it("takes HF LlamaConfig's defaults for optional keys", () => {
    const { num_key_value_heads, rms_norm_eps, tie_word_embeddings, ...rest } = stories15M;
    const config = configFromHfJson({ ...rest, num_attention_heads: 4, hidden_size: 256 }, 'config.json');
    expect(config).toMatchObject({ nKvHeads: 4, normEps: 1e-6, ropeTheta: 10000, tieEmbeddings: false });
  });

  it('infers a multipleOf that reproduces the hidden width', () => {
    expect(multipleOfFromHiddenDim(4096, 11008)).toBe(256); // Llama 2 7B
    expect(multipleOfFromHiddenDim(64, 172)).toBe(4); // stories260K (multipleOf 4)
    expect(multipleOfFromHiddenDim(8192, 28672)).toBe(256); // Llama 2 70B (ffn_dim_multiplier): divides only
  });

  it('round-trips a config through config.json', () => {
    const config = tinyConfig({ tieEmbeddings: false, normEps: 1e-6, ropeTheta: 500000 });
    const json = hfJsonFromConfig(config, 'BF16');
    expect(json).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_act: 'silu',
      torch_dtype: 'bfloat16',
      bos_token_id: 1,
      eos_token_id: 2,
      intermediate_size: 12,
    });
    expect(configFromHfJson(JSON.parse(JSON.stringify(json)), 'config.json')).toEqual({
      ...config,
      multipleOf: 4,
    });
  });

  it.each([
    [{ ...stories15M, hidden_size: undefined }, /^config\.json: "hidden_size" is missing$/],
    [{ ...stories15M, num_attention_heads: 0 }, /"num_attention_heads" must be a positive integer, got 0/],
    [{ ...stories15M, vocab_size: '32000' }, /"vocab_size" must be a positive integer, got "32000"/],
    [{ ...stories15M, num_attention_heads: 5 }, /hidden_size 288 is not divisible by num_attention_heads 5/],
    [
      { ...stories15M, num_key_value_heads: 4 },
      /num_key_value_heads 4 does not divide num_attention_heads 6/,
    ],
    [{ ...stories15M, rms_norm_eps: -1 }, /"rms_norm_eps" must be a positive number, got -1/],
    [{ ...stories15M, tie_word_embeddings: 'yes' }, /"tie_word_embeddings" must be a boolean/],
    [
      { ...stories15M, model_type: 'gemma' },
      /model_type "gemma" is not supported \(expected one of "llama", "mistral", "qwen2"\)/,
    ],
    [
      { ...stories15M, rope_scaling: { rope_type: 'yarn', factor: 4 } },
      /rope_scaling\.rope_type "yarn" is not supported \(supported: default, linear, dynamic, llama3\)/,
    ],
    [
      { ...stories15M, rope_parameters: { rope_type: 'longrope', rope_theta: 1e4 } },
      /rope_parameters\.rope_type "longrope" is not supported/,
    ],
    [
      { ...stories15M, rope_scaling: { type: 'linear', factor: 2, beta_fast: 32 } },
      /rope_scaling\.beta_fast \(32\) is not understood for rope_type "linear"/,
    ],
    [
      { ...stories15M, rope_scaling: { rope_type: 'llama3', factor: 8 } },
      /rope_scaling\.low_freq_factor must be a number, got undefined/,
    ],
    [
      { ...stories15M, rope_scaling: { type: 'linear', factor: 0.5 } },
      /rope_scaling\.factor must be a number ≥ 1, got 0\.5/,
    ],
    [
      { ...stories15M, rope_scaling: { type: 'dynamic', factor: 2, original_max_position_embeddings: 128 } },
      /original_max_position_embeddings 128 differs from max_position_embeddings 256/,
    ],
    [{ ...stories15M, partial_rotary_factor: 0.5 }, /partial_rotary_factor 0\.5 is not supported/],
    [{ ...stories15M, attention_dropout: 0.1 }, /attention_dropout 0\.1 is not supported/],
    [
      { ...stories15M, quantization_config: { quant_method: 'gptq' } },
      /"quantization_config": \{"quant_method":"gptq"\} is not a key this loader knows for model_type "llama"; it may change what the model computes/,
    ],
    [{ ...stories15M, logit_scale: 0.5 }, /"logit_scale": 0\.5 is not a key this loader knows/],
    [
      { ...stories15M, model_type: 'mistral', attention_bias: true },
      /"attention_bias": true is not a key this loader knows for model_type "mistral"/,
    ],
    [{ ...stories15M, use_mrope: true }, /use_mrope: true \(multimodal RoPE\) is not supported/],
    [{ ...stories15M, head_dim: 47 }, /head_dim 47 must be even/],
    [
      { ...stories15M, model_type: 'mistral', sliding_window: 0 },
      /sliding_window must be a positive integer or null, got 0/,
    ],
    [
      { ...stories15M, model_type: 'qwen2', layer_types: ['full_attention', 'chunked'] },
      /layer_types must list "full_attention" or "sliding_attention"/,
    ],
    [[1, 2], /config is not a JSON object/],
  ])('rejects a bad config.json (%#)', (json, message) => {
    const error = thrown(() => configFromHfJson(json, 'config.json'));
    expect(error).toBeInstanceOf(WeightFileError);
    expect(error.message).toMatch(message);
  });
});

describe('configFromHfJson on the Llama family (transformers 4 and 5 configs)', () => {
  const base = {
    model_type: 'llama',
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 100,
    max_position_embeddings: 256,
  };
  const read = (json: Record<string, unknown>) => configFromHfJson({ ...base, ...json }, 'config.json');

  it("reads RoPE's base from transformers 5's rope_parameters and transformers 4's rope_theta alike", () => {
    const v5 = read({ rope_parameters: { rope_type: 'default', rope_theta: 100000 } });
    const v4 = read({ rope_theta: 100000, rope_scaling: null });
    expect(v5.ropeTheta).toBe(100000); // the SmolLM2 case: a loader that ignores rope_parameters gets 10,000
    expect(v5).toEqual(v4);
  });

  it('reads llama3, linear and dynamic scaling in both generations', () => {
    const llama3 = {
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 64,
    };
    const expected = {
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxSeqLen: 64,
    };
    expect(read({ rope_theta: 5e5, rope_scaling: { ...llama3, rope_type: 'llama3' } })).toMatchObject({
      ropeTheta: 5e5,
      ropeScaling: expected,
    });
    expect(read({ rope_parameters: { ...llama3, rope_type: 'llama3', rope_theta: 5e5 } })).toMatchObject({
      ropeTheta: 5e5,
      ropeScaling: expected,
    });
    expect(read({ rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    expect(
      read({ rope_parameters: { rope_type: 'dynamic', factor: 2, rope_theta: 1e4 } }).ropeScaling,
    ).toEqual({
      type: 'dynamic',
      factor: 2,
    });
    // transformers 5 prefers rope_scaling when a config has both
    expect(
      read({
        rope_parameters: { rope_type: 'default', rope_theta: 1e4 },
        rope_scaling: { type: 'linear', factor: 4 },
      }).ropeScaling,
    ).toEqual({ type: 'linear', factor: 4 });
  });

  it('reads head_dim, attention_bias and mlp_bias (Llama), q/k/v biases (Qwen2) and sliding windows (Mistral, Qwen2)', () => {
    expect(read({ head_dim: 32 })).toMatchObject({ headDim: 32, dim: 64 });
    expect(read({ attention_bias: true, mlp_bias: true })).toMatchObject({
      qkvBias: true,
      attentionOutputBias: true,
      mlpBias: true,
    });
    expect(
      read({ model_type: 'qwen2', use_sliding_window: false, sliding_window: 4096, max_window_layers: 2 }),
    ).toMatchObject({
      qkvBias: true,
      attentionOutputBias: false,
      mlpBias: false,
      slidingWindow: null,
    });
    expect(
      read({ model_type: 'qwen2', layer_types: ['full_attention', 'sliding_attention'], sliding_window: 32 })
        .slidingWindow,
    ).toBe(32);
    expect(
      read({ model_type: 'qwen2', use_sliding_window: true, sliding_window: 32, max_window_layers: 1 })
        .slidingWindow,
    ).toBe(32);
    expect(read({ model_type: 'mistral', sliding_window: 4096 }).slidingWindow).toBe(4096);
    expect(read({ model_type: 'mistral' }).slidingWindow).toBe(4096); // MistralConfig's default
    expect(read({ model_type: 'mistral', sliding_window: null }).slidingWindow).toBeNull();
  });

  it('ignores only the keys on its list of those that cannot change the arithmetic', () => {
    const config = read({
      architectures: ['LlamaForCausalLM'],
      transformers_version: '4.40.1',
      torch_dtype: 'bfloat16',
      bos_token_id: 0,
      eos_token_id: 0,
      initializer_range: 0.04,
      is_llama_config: true,
      rope_interleaved: false,
      pretraining_tp: 1,
      use_cache: true,
      sliding_window: null, // another type's key at its neutral value
    });
    expect(config).toEqual(read({}));
    expect(HF_CONFIG_KEYS_SAFE_TO_IGNORE.has('quantization_config')).toBe(false);
  });

  it.each([
    ['plain llama', {}],
    [
      'llama3 scaling, explicit head_dim, biases',
      {
        headDim: 32,
        qkvBias: true,
        attentionOutputBias: true,
        mlpBias: true,
        ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxSeqLen: 8 },
      },
    ],
    ['qwen2', { qkvBias: true, ropeTheta: 1e6 }],
    ['qwen2 with a window', { qkvBias: true, slidingWindow: 16 }],
    ['mistral', { slidingWindow: 16, ropeScaling: { type: 'linear', factor: 2 } }],
  ] as [string, Partial<LlamaConfig>][])(
    'round-trips %s through the config.json transformers reads',
    (_, overrides) => {
      const config = tinyConfig({ nHeads: 2, nKvHeads: 1, tieEmbeddings: false, ...overrides });
      const json = JSON.parse(JSON.stringify(hfJsonFromConfig(config)));
      expect(configFromHfJson(json, 'config.json')).toEqual({
        ...config,
        multipleOf: multipleOfFromHiddenDim(config.dim, config.hiddenDim),
      });
    },
  );

  it('refuses a config no transformers model computes', () => {
    expect(() =>
      hfJsonFromConfig(tinyConfig({ qkvBias: true, attentionOutputBias: true, slidingWindow: 8 })),
    ).toThrow(/sliding window with these biases/);
    expect(() => hfJsonFromConfig(tinyConfig({ attentionOutputBias: true }))).toThrow(
      /all four attention projections or none/,
    );
  });
});
