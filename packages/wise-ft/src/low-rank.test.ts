import { useBackend } from '@mini-llama/backends';
import { LlamaModel, Random, type StateDict } from '@mini-llama/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { interpolateLowRank, interpolateStateDicts, type LowRankUpdate } from './index.js';

const config = { dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 40, maxSeqLen: 16, multipleOf: 8 };

function update(state: StateDict, target: string, r: number, scale: number, seed: number): LowRankUpdate {
  const [out, inFeatures] = state.get(target)!.shape as [number, number];
  const random = new Random(seed);
  return {
    target,
    a: { shape: [r, inFeatures], data: Float32Array.from(random.normalArray(r * inFeatures, 0.3)) },
    b: { shape: [out, r], data: Float32Array.from(random.normalArray(out * r, 0.3)) },
    scale,
  };
}

/** W + scale·B·A by the textbook triple loop, as an independent reference for the merged weights. */
function merged(state: StateDict, updates: LowRankUpdate[]): StateDict {
  const out: StateDict = new Map(state);
  for (const { target, a, b, scale } of updates) {
    const w = state.get(target)!;
    const [rows, cols] = w.shape as [number, number];
    const r = a.shape[0]!;
    const data = Float32Array.from(w.data);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        for (let k = 0; k < r; k++) sum += b.data[i * r + k]! * a.data[k * cols + j]!;
        data[i * cols + j]! += scale * sum;
      }
    out.set(target, { shape: [rows, cols], data });
  }
  return out;
}

beforeAll(async () => {
  await useBackend('cpu'); // the models below are built on it
});

describe('interpolateLowRank', () => {
  it('equals interpolating the base with the merged weights, for every α', async () => {
    const base = await new LlamaModel(config, { seed: 1 }).stateDict();
    const updates = [
      update(base, 'model.layers.0.self_attn.q_proj.weight', 4, 2, 10),
      update(base, 'model.layers.1.self_attn.v_proj.weight', 4, 2, 11),
      update(base, 'model.layers.1.mlp.up_proj.weight', 2, 0.5, 12),
    ];
    const fineTuned = merged(base, updates);
    for (const alpha of [0, 0.25, 0.5, 1]) {
      const viaAdapter = interpolateLowRank(base, updates, alpha);
      const viaWeights = interpolateStateDicts(base, fineTuned, alpha);
      for (const [name, tensor] of viaWeights) {
        const got = viaAdapter.get(name)!.data;
        for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(tensor.data[i]!, 5);
      }
    }
  });

  it('α = 0 is the base model itself, and untouched tensors are shared, not copied', async () => {
    const base = await new LlamaModel(config, { seed: 1 }).stateDict();
    const updates = [update(base, 'model.layers.0.self_attn.q_proj.weight', 4, 2, 10)];
    const zero = interpolateLowRank(base, updates, 0);
    for (const [name, tensor] of base) expect(zero.get(name)).toBe(tensor);
    const some = interpolateLowRank(base, updates, 0.5);
    expect(some.get('model.layers.0.mlp.up_proj.weight')).toBe(base.get('model.layers.0.mlp.up_proj.weight'));
    expect(some.get('model.layers.0.self_attn.q_proj.weight')).not.toBe(
      base.get('model.layers.0.self_attn.q_proj.weight'),
    );
  });

  it('names the weight an update does not fit, or does not find', async () => {
    const base = await new LlamaModel(config, { seed: 1 }).stateDict();
    const q = update(base, 'model.layers.0.self_attn.q_proj.weight', 4, 2, 10);
    const wrong = { ...q, target: 'model.layers.0.self_attn.k_proj.weight' }; // k is [8, 16], q's B is [16, 4]
    expect(() => interpolateLowRank(base, [wrong], 0.5)).toThrow(
      'LoRA update for model.layers.0.self_attn.k_proj.weight: A [4,16] and B [16,4] do not fit the weight [8,16] (need A [r, 16], B [8, r])',
    );
    expect(() =>
      interpolateLowRank(base, [{ ...q, target: 'model.layers.9.self_attn.q_proj.weight' }], 0.5),
    ).toThrow('LoRA update for model.layers.9.self_attn.q_proj.weight: the base model has no such tensor');
  });
});
