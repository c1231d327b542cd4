import { useBackend } from '@mini-llama/backends';
import { crossEntropy } from '@mini-llama/layers';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LlamaConfigInput, LlamaModel, parameterCount } from './index.js';

const tiny: LlamaConfigInput = {
  dim: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 50,
  maxSeqLen: 24,
  multipleOf: 8,
};

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe.each(PARITY_BACKENDS)('LlamaModel on %s', (backend) => {
  it('gives logits [B, T, vocab] and hidden states [B, T, dim]', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const model = new LlamaModel(tiny, { seed: 1 });
    const tokens = tf.tensor2d(
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      [2, 4],
      'int32',
    );
    const logits = model.forward(tokens);
    const hidden = model.hiddenStates(tokens);
    expect(logits.shape).toEqual([2, 4, 50]);
    expect(hidden.shape).toEqual([2, 4, 32]);
    expect(tf.tidy(() => maxAbsDiff(logits, model.logitsFromHidden(hidden)))).toBe(0);
    tf.dispose([tokens, logits, hidden]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is causal: later tokens do not change earlier logits', async () => {
    await useBackend(backend);
    const model = new LlamaModel(tiny, { seed: 2 });
    const [a, b] = tf.tidy(() => [
      model.forward(tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32')),
      model.forward(tf.tensor2d([[1, 2, 3, 9, 9]], [1, 5], 'int32')),
    ]);
    const firstThree = (t: tf.Tensor) => tf.slice(t, [0, 0, 0], [1, 3, -1]);
    expect(tf.tidy(() => maxAbsDiff(firstThree(a!), firstThree(b!)))).toBeLessThan(1e-6);
    expect(tf.tidy(() => maxAbsDiff(a!, b!))).toBeGreaterThan(1e-4);
    tf.dispose([a!, b!]);
    model.dispose();
  });

  it('with a KV cache, token-by-token logits equal the full forward', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const model = new LlamaModel(tiny, { seed: 3 });
    const ids = [1, 7, 3, 9, 4, 4, 2, 8];
    const full = tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], 'int32')));
    const cache = model.createCache();
    // a 3-token prefill, then one token at a time
    const steps = [ids.slice(0, 3), ...ids.slice(3).map((id) => [id])];
    const pieces = steps.map((chunk) =>
      tf.tidy(() => model.forward(tf.tensor2d([chunk], [1, chunk.length], 'int32'), { cache })),
    );
    expect(cache.length).toBe(ids.length);
    const incremental = tf.concat(pieces, 1);
    expect(maxAbsDiff(full, incremental)).toBeLessThan(1e-5);
    tf.dispose([full, incremental, ...pieces]);
    cache.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('left padding with an attention mask reproduces the unpadded row', async () => {
    await useBackend(backend);
    const model = new LlamaModel(tiny, { seed: 4 });
    const [alone, padded] = tf.tidy(() => [
      model.forward(tf.tensor2d([[5, 6, 7]], [1, 3], 'int32')),
      model.forward(tf.tensor2d([[0, 0, 5, 6, 7]], [1, 5], 'int32'), {
        attentionMask: Uint8Array.of(0, 0, 1, 1, 1),
      }),
    ]);
    const realPart = tf.slice(padded!, [0, 2, 0], [1, 3, -1]);
    expect(maxAbsDiff(alone!, realPart)).toBeLessThan(1e-5);
    tf.dispose([alone!, padded!, realPart]);
    model.dispose();
  });

  it('trains: one step of gradients reaches every parameter without leaking', async () => {
    await useBackend(backend);
    const model = new LlamaModel({ ...tiny, tieEmbeddings: false }, { seed: 5 });
    const before = tf.memory().numTensors;
    const parameters = model.parameters();
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() => {
          const inputs = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
          const targets = tf.tensor2d([[2, 3, 4, 5]], [1, 4], 'int32');
          return crossEntropy(model.forward(inputs), targets);
        }),
      Object.values(parameters),
    );
    for (const variable of Object.values(parameters)) {
      const grad = grads[variable.name]!;
      expect(grad.shape).toEqual(variable.shape);
      expect(tf.tidy(() => tf.all(tf.isFinite(grad)).dataSync()[0])).toBe(1);
    }
    expect(value.dataSync()[0]).toBeCloseTo(Math.log(50), 0); // near-uniform predictions at initialisation
    tf.dispose([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('LlamaModel weights', () => {
  it('counts parameters as the config says, tied and untied', async () => {
    await useBackend('cpu');
    for (const tieEmbeddings of [true, false]) {
      const model = new LlamaModel({ ...tiny, tieEmbeddings }, { init: 'none' });
      expect(model.parameterCount()).toBe(parameterCount(model.config));
      model.dispose();
    }
  });

  it('uses HF parameter names', async () => {
    await useBackend('cpu');
    const model = new LlamaModel({ ...tiny, tieEmbeddings: false }, { init: 'none' });
    const names = Object.keys(model.parameters());
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain('model.layers.1.self_attn.q_proj.weight');
    expect(names).toContain('model.layers.0.mlp.down_proj.weight');
    expect(names).toContain('model.layers.0.post_attention_layernorm.weight');
    expect(names).toContain('model.norm.weight');
    expect(names).toContain('lm_head.weight');
    model.dispose();
  });

  it('initialises as llama2.c: std 0.02, residual projections scaled, seeded', async () => {
    await useBackend('cpu');
    const config = { ...tiny, dim: 64, nHeads: 4, nKvHeads: 4, vocabSize: 512 };
    const a = new LlamaModel(config, { seed: 7 });
    const b = new LlamaModel(config, { seed: 7 });
    const c = new LlamaModel(config, { seed: 8 });
    const std = (name: string, model: LlamaModel) =>
      tf.tidy(() => tf.sqrt(tf.moments(model.parameters()[name]!).variance).dataSync()[0]!);
    expect(std('model.embed_tokens.weight', a)).toBeCloseTo(0.02, 3);
    expect(std('model.layers.0.self_attn.o_proj.weight', a)).toBeCloseTo(0.02 / Math.sqrt(4), 3);
    expect(std('model.layers.0.mlp.up_proj.weight', a)).toBeCloseTo(0.02 / Math.sqrt(4), 3);
    expect(std('model.layers.0.mlp.gate_proj.weight', a)).toBeCloseTo(0.02, 3);
    const weight = (model: LlamaModel) =>
      model.parameters()['model.layers.1.self_attn.k_proj.weight']!.dataSync();
    expect(weight(a)).toEqual(weight(b));
    expect(weight(a)).not.toEqual(weight(c));
    for (const model of [a, b, c]) model.dispose();
  });

  it('round-trips through its state dict', async () => {
    await useBackend('cpu');
    const source = new LlamaModel({ ...tiny, tieEmbeddings: false }, { seed: 9 });
    const target = new LlamaModel({ ...tiny, tieEmbeddings: false }, { init: 'none' });
    const stateDict = await source.stateDict();
    expect(stateDict.get('model.layers.0.mlp.gate_proj.weight')!.shape).toEqual([
      source.config.hiddenDim,
      32,
    ]);
    // a chosen few: the same tensors (a linear weight transposed as in the whole dict), nothing else
    const some = await source.stateDict(['lm_head.weight', 'model.norm.weight']);
    expect([...some.keys()]).toEqual(['lm_head.weight', 'model.norm.weight']);
    for (const [name, tensor] of some) expect(tensor).toEqual(stateDict.get(name));
    await expect(source.stateDict(['lm_head.weights'])).rejects.toThrow(/no parameter named lm_head.weights/);
    target.loadStateDict(stateDict);
    const tokens = tf.tensor2d([[3, 1, 4, 1, 5]], [1, 5], 'int32');
    const [x, y] = [source.forward(tokens), target.forward(tokens)];
    expect(maxAbsDiff(x, y)).toBe(0);
    tf.dispose([tokens, x, y]);
    source.dispose();
    target.dispose();
  });

  it('names missing tensors and wrong shapes when loading', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { init: 'none' });
    const stateDict = await model.stateDict();
    const withoutNorm = new Map(stateDict);
    withoutNorm.delete('model.norm.weight');
    expect(() => model.loadStateDict(withoutNorm, 'weights.safetensors')).toThrow(
      /weights\.safetensors: missing 1 tensor\(s\): model\.norm\.weight/,
    );
    const wrongShape = new Map(stateDict);
    wrongShape.set('model.norm.weight', { shape: [31], data: new Float32Array(31) });
    expect(() => model.loadStateDict(wrongShape, 'w.bin')).toThrow(
      /w\.bin: model\.norm\.weight has shape \[31\], the config needs \[32\]/,
    );
    const extra = new Map(stateDict);
    extra.set('lm_head.weight', { shape: [50, 32], data: new Float32Array(1600) });
    expect(() => model.loadStateDict(extra, 'x')).toThrow(
      /x: unexpected tensor\(s\) for this config: lm_head\.weight/,
    );
    model.dispose();
  });

  it('rejects inputs past the context and non-integer tokens', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { init: 'none' });
    const long = tf.zeros([1, 25], 'int32');
    expect(() => model.forward(long)).toThrow(
      /25 positions \(0 cached \+ 25 new\) exceed the context length maxSeqLen 24/,
    );
    const floats = tf.zeros([1, 2]);
    expect(() => model.forward(floats)).toThrow(/tokens have dtype float32, expected int32/);
    tf.dispose([long, floats]);
    model.dispose();
  });
});

describe('LlamaModel inference head', () => {
  it.each([true, false])(
    'reuses one output matrix with the same logits (tied: %s)',
    async (tieEmbeddings) => {
      await useBackend('cpu');
      const model = new LlamaModel({ ...tiny, tieEmbeddings }, { seed: 21 });
      const before = tf.memory().numTensors;
      const head = model.inferenceHead();
      expect(head.shape).toEqual([32, 50]);
      const [plain, reused] = tf.tidy(() => {
        const hidden = model.hiddenStates(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'));
        return [model.logitsFromHidden(hidden), model.logitsFromHidden(hidden, head)];
      });
      expect(maxAbsDiff(plain!, reused!)).toBe(0);
      tf.dispose([plain!, reused!, head]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    },
  );
});
