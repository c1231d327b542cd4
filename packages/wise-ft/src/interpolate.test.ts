import { useBackend } from '@mini-llama/backends';
import { LlamaModel, type StateDict } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { backboneOnly, interpolateStateDicts } from './index.js';

const config = { dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 40, maxSeqLen: 16, multipleOf: 8 };

function tensors(state: StateDict): Record<string, number[]> {
  return Object.fromEntries([...state].map(([name, tensor]) => [name, Array.from(tensor.data)]));
}

beforeAll(async () => {
  await useBackend('cpu'); // the models below are built on it
});

describe('interpolateStateDicts', () => {
  it('gives the pretrained tensors at α = 0 and the fine-tuned ones at α = 1, bit for bit', async () => {
    const pre = await new LlamaModel(config, { seed: 1 }).stateDict();
    const ft = await new LlamaModel(config, { seed: 2 }).stateDict();
    expect(tensors(interpolateStateDicts(pre, ft, 0))).toEqual(tensors(pre));
    expect(tensors(interpolateStateDicts(pre, ft, 1))).toEqual(tensors(ft));
    const half = interpolateStateDicts(pre, ft, 0.5);
    const name = 'model.layers.1.mlp.down_proj.weight';
    const [a, b, m] = [pre, ft, half].map((state) => state.get(name)!.data);
    for (let i = 0; i < 10; i++) expect(m![i]).toBeCloseTo((a![i]! + b![i]!) / 2, 7);
  });

  it.each(['cpu', 'wasm'] as const)(
    'α = 0 and α = 1 reproduce the two models’ logits exactly on %s',
    async (backend) => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const pre = new LlamaModel(config, { seed: 1 });
      const ft = new LlamaModel(config, { seed: 2 });
      const mixed = new LlamaModel(config, { seed: 3 });
      const tokens = tf.tensor2d([[1, 5, 9, 33, 2, 0]], [1, 6], 'int32');
      const logitsOf = (model: LlamaModel) => tf.tidy(() => Array.from(model.forward(tokens).dataSync()));
      const [preState, ftState] = [await pre.stateDict(), await ft.stateDict()];
      mixed.loadStateDict(interpolateStateDicts(preState, ftState, 0));
      expect(logitsOf(mixed)).toEqual(logitsOf(pre));
      mixed.loadStateDict(interpolateStateDicts(preState, ftState, 1));
      expect(logitsOf(mixed)).toEqual(logitsOf(ft));
      mixed.loadStateDict(interpolateStateDicts(preState, ftState, 0.3));
      expect(logitsOf(mixed)).not.toEqual(logitsOf(pre));
      for (const model of [pre, ft, mixed]) model.dispose();
      tokens.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('backbone-only interpolation keeps the fine-tuned heads', async () => {
    const pre = await new LlamaModel({ ...config, tieEmbeddings: false }, { seed: 1 }).stateDict();
    const ft = await new LlamaModel({ ...config, tieEmbeddings: false }, { seed: 2 }).stateDict();
    const out = interpolateStateDicts(pre, ft, 0.5, { include: backboneOnly });
    expect(out.get('lm_head.weight')!.data).toEqual(ft.get('lm_head.weight')!.data);
    expect(out.get('model.norm.weight')).not.toBe(ft.get('model.norm.weight'));
    expect(out.get('model.layers.0.self_attn.q_proj.weight')!.data).not.toEqual(
      ft.get('model.layers.0.self_attn.q_proj.weight')!.data,
    );
  });

  it('names every tensor that differs in name or shape', async () => {
    const pre = await new LlamaModel(config, { seed: 1 }).stateDict();
    const wider = await new LlamaModel({ ...config, dim: 24, nHeads: 4 }, { seed: 1 }).stateDict();
    expect(() => interpolateStateDicts(pre, wider, 0.5)).toThrow(
      /the two models differ in architecture: model\.embed_tokens\.weight has shape \[40,16\] in pretrained but \[40,24\] in fine-tuned;.* and \d+ more/,
    );
    const missing = new Map(pre);
    missing.delete('model.norm.weight');
    expect(() => interpolateStateDicts(pre, missing, 0.5)).toThrow(
      'the two models differ in architecture: model.norm.weight is in pretrained but not in fine-tuned',
    );
    expect(() =>
      interpolateStateDicts(missing, pre, 0.5, { names: ['base.safetensors', 'ft.safetensors'] }),
    ).toThrow('model.norm.weight is in ft.safetensors but not in base.safetensors');
    expect(() => interpolateStateDicts(pre, pre, Number.NaN)).toThrow(
      'alpha must be a finite number, got NaN',
    );
  });
});
