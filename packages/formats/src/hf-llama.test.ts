import { describe, expect, it } from 'vitest';
import { type LlamaConfig, resolveConfig } from './config.js';
import { expectedTensorShapes, multipleOfFromHiddenDim } from './expected-tensor-shapes.js';
import { configFromHfJson, HF_CONFIG_KEYS_SAFE_TO_IGNORE, hfJsonFromConfig } from './hf-config.js';
import {
  hfTensorsFromStateDict,
  parseShardIndex,
  permuteForHf,
  stateDictFromHfTensors,
  unpermuteFromHf,
} from './hf-llama.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { type StateDict, WeightFileError } from './state-dict.js';

const FILE = 'model.safetensors';

function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return resolveConfig({
    dim: 8,
    nLayers: 2,
    nHeads: 2,
    nKvHeads: 1,
    vocabSize: 5,
    maxSeqLen: 4,
    hiddenDim: 12,
    ...overrides,
  });
}

/** Every expected tensor, element j of tensor k = ((37 j + 11 k) % 101 - 50) / 64: distinct, exact values. */
function formulaStateDict(config: LlamaConfig): StateDict {
  const stateDict: StateDict = new Map();
  let k = 0;
  for (const [name, shape] of expectedTensorShapes(config)) {
    const size = shape.reduce((product, n) => product * n, 1);
    const data = Float32Array.from({ length: size }, (_, j) => (((37 * j + 11 * k) % 101) - 50) / 64);
    stateDict.set(name, { shape, data });
    k++;
  }
  return stateDict;
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('permuteForHf / unpermuteFromHf', () => {
  it('moves the rows of one head of size 4 from [0, 1, 2, 3] to HF order [0, 2, 1, 3]', () => {
    // Rotated pairs (0, 1) and (2, 3) become halves [0, 2 | 1, 3]: worked by hand, and by the PyTorch below.
    expect(Array.from(permuteForHf(new Float32Array([0, 1, 2, 3]), 1, 4, 1))).toEqual([0, 2, 1, 3]);
  });

  it("matches transformers' permute on two heads of [8, 3]", () => {
    // def permute(w, n_heads, dim1, dim2):  # convert_llama_weights_to_hf.py
    //     return w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)
    // permute(torch.arange(24.).view(8, 3), 2, 8, 3).flatten().int().tolist()  (PyTorch 1.13)
    const weight = Float32Array.from({ length: 24 }, (_, i) => i);
    expect(Array.from(permuteForHf(weight, 2, 8, 3))).toEqual([
      0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11, 12, 13, 14, 18, 19, 20, 15, 16, 17, 21, 22, 23,
    ]);
  });

  it('are inverses of each other', () => {
    const weight = Float32Array.from({ length: 64 * 5 }, (_, i) => Math.sin(i));
    expect(Array.from(unpermuteFromHf(permuteForHf(weight, 4, 64, 5), 4, 64, 5))).toEqual(Array.from(weight));
    expect(Array.from(permuteForHf(unpermuteFromHf(weight, 8, 64, 5), 8, 64, 5))).toEqual(Array.from(weight));
    expect(Array.from(permuteForHf(weight, 4, 64, 5))).not.toEqual(Array.from(weight));
  });

  it('rejects rows that do not split into heads of an even size, or a wrong length', () => {
    expect(() => permuteForHf(new Float32Array(6), 1, 3, 2)).toThrow(
      /permuteForHf: rows 3 must split into 1 heads/,
    );
    expect(() => unpermuteFromHf(new Float32Array(7), 1, 4, 2)).toThrow(
      /unpermuteFromHf: weight has 7 values, expected rows 4 × cols 2/,
    );
  });
});

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

describe('stateDictFromHfTensors / hfTensorsFromStateDict', () => {
  it.each([true, false])('round-trips through a safetensors file (tied: %s)', (tieEmbeddings) => {
    const config = tinyConfig({ tieEmbeddings });
    const stateDict = formulaStateDict(config);
    const hf = hfTensorsFromStateDict(stateDict, config);
    expect(hf.has('lm_head.weight')).toBe(!tieEmbeddings);
    const bytes = serializeSafetensors(hf, { dtype: 'F32' });
    const back = stateDictFromHfTensors(parseSafetensors(bytes, FILE).tensors, config, FILE);
    expect([...back.keys()]).toEqual([...stateDict.keys()]);
    for (const [name, tensor] of stateDict) {
      expect(back.get(name)!.shape).toEqual(tensor.shape);
      expect(Array.from(back.get(name)!.data)).toEqual(Array.from(tensor.data));
    }
  });

  it('permutes q_proj with nHeads and k_proj with nKvHeads, and nothing else', () => {
    const config = tinyConfig({ nHeads: 2, nKvHeads: 1 });
    const stateDict = formulaStateDict(config);
    const hf = hfTensorsFromStateDict(stateDict, config);
    const q = stateDict.get('model.layers.1.self_attn.q_proj.weight')!.data;
    const k = stateDict.get('model.layers.1.self_attn.k_proj.weight')!.data;
    expect(hf.get('model.layers.1.self_attn.q_proj.weight')!.data).toEqual(permuteForHf(q, 2, 8, 8));
    expect(hf.get('model.layers.1.self_attn.k_proj.weight')!.data).toEqual(permuteForHf(k, 1, 4, 8));
    expect(hf.get('model.layers.1.self_attn.v_proj.weight')!.data).toBe(
      stateDict.get('model.layers.1.self_attn.v_proj.weight')!.data,
    );
  });

  it('permutes the q and k biases as their rows (Qwen2), and round-trips', () => {
    const config = tinyConfig({ qkvBias: true });
    const ours = formulaStateDict(config);
    const hf = hfTensorsFromStateDict(ours, config);
    const bias = ours.get('model.layers.0.self_attn.q_proj.bias')!.data;
    expect(Array.from(hf.get('model.layers.0.self_attn.q_proj.bias')!.data)).toEqual(
      Array.from(permuteForHf(bias, config.nHeads, bias.length, 1)),
    );
    expect(hf.get('model.layers.0.self_attn.v_proj.bias')!.data).toBe(
      ours.get('model.layers.0.self_attn.v_proj.bias')!.data,
    );
    const back = stateDictFromHfTensors(hf, config, FILE);
    for (const [name, tensor] of ours)
      expect(Array.from(back.get(name)!.data), name).toEqual(Array.from(tensor.data));
  });

  it('requires lm_head.weight when the head is untied', () => {
    const config = tinyConfig({ tieEmbeddings: false });
    const hf = hfTensorsFromStateDict(formulaStateDict(config), config);
    hf.delete('lm_head.weight');
    const error = thrown(() => stateDictFromHfTensors(hf, config, FILE));
    expect(error).toBeInstanceOf(WeightFileError);
    expect(error.message).toBe('model.safetensors: missing tensor "lm_head.weight" [5, 8]');
  });

  it('accepts a tied head saved as a copy of the embedding, and rejects one that differs', () => {
    const config = tinyConfig({ tieEmbeddings: true });
    const hf = hfTensorsFromStateDict(formulaStateDict(config), config);
    const embedding = hf.get('model.embed_tokens.weight')!;
    hf.set('lm_head.weight', { shape: [5, 8], data: embedding.data.slice() });
    expect(stateDictFromHfTensors(hf, config, FILE).has('lm_head.weight')).toBe(false);
    hf.set('lm_head.weight', { shape: [5, 8], data: new Float32Array(40) });
    expect(() => stateDictFromHfTensors(hf, config, FILE)).toThrow(
      /lm_head\.weight differs from model\.embed_tokens\.weight, but tie_word_embeddings is true/,
    );
  });

  it('names the tensor, the expected and the found shape', () => {
    const config = tinyConfig();
    const hf = hfTensorsFromStateDict(formulaStateDict(config), config);
    hf.set('model.layers.0.mlp.up_proj.weight', { shape: [8, 12], data: new Float32Array(96) });
    expect(() => stateDictFromHfTensors(hf, config, FILE)).toThrow(
      'model.safetensors: tensor "model.layers.0.mlp.up_proj.weight" has shape [8, 12], expected [12, 8]',
    );
  });

  it('lists missing tensors together with unexpected ones (a naming mismatch)', () => {
    const config = tinyConfig();
    const hf = hfTensorsFromStateDict(formulaStateDict(config), config);
    const norm = hf.get('model.norm.weight')!;
    hf.delete('model.norm.weight');
    hf.set('norm.weight', norm);
    expect(() => stateDictFromHfTensors(hf, config, FILE)).toThrow(
      'model.safetensors: missing tensor "model.norm.weight" [8]; found unexpected "norm.weight"',
    );
  });

  it('rejects unexpected tensors but ignores rotary inv_freq buffers', () => {
    const config = tinyConfig();
    const hf = hfTensorsFromStateDict(formulaStateDict(config), config);
    hf.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [2], data: new Float32Array(2) });
    expect(stateDictFromHfTensors(hf, config, FILE).size).toBe(expectedTensorShapes(config).size);
    hf.set('model.layers.0.self_attn.q_proj.bias', { shape: [8], data: new Float32Array(8) });
    expect(() => stateDictFromHfTensors(hf, config, FILE)).toThrow(
      /unexpected tensor "model\.layers\.0\.self_attn\.q_proj\.bias" \(not part of a Llama model with this config\)/,
    );
  });

  it('hfTensorsFromStateDict rejects an incomplete state dict', () => {
    const config = tinyConfig();
    const stateDict = formulaStateDict(config);
    stateDict.delete('model.layers.1.mlp.down_proj.weight');
    expect(() => hfTensorsFromStateDict(stateDict, config)).toThrow(
      /hfTensorsFromStateDict: missing tensor "model\.layers\.1\.mlp\.down_proj\.weight" \[8, 12\]/,
    );
  });

  it('expects 9 tensors per layer, the embedding, the final norm and an untied head', () => {
    expect(expectedTensorShapes(tinyConfig({ tieEmbeddings: true })).size).toBe(1 + 9 * 2 + 1);
    expect(expectedTensorShapes(tinyConfig({ tieEmbeddings: false })).size).toBe(1 + 9 * 2 + 2);
  });
});

describe('parseShardIndex', () => {
  const INDEX = 'model.safetensors.index.json';

  it('lists each shard once, sorted', () => {
    const index = parseShardIndex(
      {
        metadata: { total_size: 1234 },
        weight_map: {
          'lm_head.weight': 'model-00002-of-00002.safetensors',
          'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
          'model.norm.weight': 'model-00002-of-00002.safetensors',
        },
      },
      INDEX,
    );
    expect(index.shardFiles).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(index.weightMap.get('model.norm.weight')).toBe('model-00002-of-00002.safetensors');
    expect(index.metadata).toEqual({ total_size: 1234 });
  });

  it.each([
    [null, /index is not a JSON object/],
    [{ metadata: {} }, /"weight_map" is missing or not an object/],
    [{ weight_map: {} }, /"weight_map" is empty/],
    [{ weight_map: { a: 3 } }, /weight_map\."a" must be a shard file name, got 3/],
    [
      { weight_map: { a: '../secrets.safetensors' } },
      /names "\.\.\/secrets\.safetensors", which is not a plain file name/,
    ],
    [{ metadata: [], weight_map: { a: 'x.safetensors' } }, /"metadata" must be an object/],
  ])('rejects a bad index (%#)', (json, message) => {
    const error = thrown(() => parseShardIndex(json, INDEX));
    expect(error).toBeInstanceOf(WeightFileError);
    expect(error.message).toMatch(new RegExp(`^model\\.safetensors\\.index\\.json: .*${message.source}`));
  });
});
