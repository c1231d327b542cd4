import { describe, expect, it } from 'vitest';
import { expectedTensorShapes } from './expected-tensor-shapes.js';
import {
  hfTensorsFromStateDict,
  parseShardIndex,
  permuteForHf,
  stateDictFromHfTensors,
  unpermuteFromHf,
} from './hf-llama.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { WeightFileError } from './state-dict.js';
import { formulaStateDict, thrown, tinyConfig } from './test-helpers.js';

const FILE = 'model.safetensors';

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
