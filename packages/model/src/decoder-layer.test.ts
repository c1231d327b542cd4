import { useBackend } from '@mini-llama/backends';
import { DECODER_STEP_MAX_MACS, FUSED } from '@mini-llama/layers';
import { registerFusedKernels, unregisterFusedKernels } from '@mini-llama/layers/kernels';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type LlamaConfigInput, LlamaModel } from './index.js';

const small: LlamaConfigInput = { dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 40, maxSeqLen: 64 };

/** A model with weights large enough that its layers do more than pass the residual stream on. */
function model(config: LlamaConfigInput): LlamaModel {
  const made = new LlamaModel(config, { seed: 5 });
  for (const variable of Object.values(made.parameters())) {
    if (variable.rank === 2) tf.tidy(() => variable.assign(tf.mul(variable, 25)));
  }
  return made;
}

/**
 * Prefills `prompts`, then decodes `steps` more tokens one per row, with the fused kernels as they are
 * registered now: the last step's hidden states, and how often each kernel ran in it.
 */
async function decode(
  made: LlamaModel,
  prompts: number[][],
  steps: number,
  attentionMask?: (length: number) => Uint8Array,
): Promise<{ hidden: Float32Array; kernels: Map<string, number> }> {
  const cache = made.createCache();
  const B = prompts.length;
  let length = prompts[0]!.length;
  const prompt = tf.tensor2d(prompts, [B, length], 'int32');
  tf.dispose([prompt, made.hiddenStates(prompt, { cache, attentionMask: attentionMask?.(length) })]);
  let hidden: Float32Array = new Float32Array();
  const kernels = new Map<string, number>();
  for (let step = 0; step < steps; step++) {
    length++;
    const tokens = tf.tensor2d(
      prompts.map((_, row) => [(3 * step + row) % 40]),
      [B, 1],
      'int32',
    );
    const profile = await tf.profile(() => {
      const out = made.hiddenStates(tokens, { cache, attentionMask: attentionMask?.(length) });
      hidden = out.dataSync() as Float32Array;
      out.dispose();
    });
    tokens.dispose();
    kernels.clear();
    for (const { name } of profile.kernels) kernels.set(name, (kernels.get(name) ?? 0) + 1);
  }
  cache.dispose();
  return { hidden, kernels };
}

describe.each(['cpu', 'wasm'] as const)('the whole-layer decoding kernel on %s', (backend) => {
  afterEach(() => unregisterFusedKernels());

  it('runs once per layer for a decoded token, with the composite path’s hidden states', async () => {
    await useBackend(backend);
    const made = model(small);
    const before = tf.memory().numTensors;
    registerFusedKernels();
    // 20 decoded tokens after 3: the cache's buffers grow from 16 to 32 positions on the way
    const fused = await decode(made, [[1, 7, 3]], 20);
    unregisterFusedKernels();
    const composite = await decode(made, [[1, 7, 3]], 20);
    expect(fused.kernels.get(FUSED.decoderStep)).toBe(2);
    expect(fused.kernels.size).toBeLessThan(10); // embedding, tables, 2 layers, final norm: no per-op kernels
    expect(composite.kernels.get(FUSED.decoderStep)).toBeUndefined();
    expect(maxRelativeDifference(fused.hidden, composite.hidden)).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
    made.dispose();
  });

  it('reads a left-padded row’s mask and positions as the composite path does', async () => {
    await useBackend(backend);
    const made = model(small);
    // row 0 is padded by two positions at the start; row 1 is all real tokens
    const mask = (length: number) =>
      Uint8Array.from([...[0, 0], ...Array(length - 2).fill(1), ...Array(length).fill(1)]);
    const prompts = [
      [0, 0, 1, 5],
      [1, 9, 2, 6],
    ];
    registerFusedKernels();
    const fused = await decode(made, prompts, 5, mask);
    unregisterFusedKernels();
    const composite = await decode(made, prompts, 5, mask);
    expect(fused.kernels.get(FUSED.decoderStep)).toBe(2);
    expect(maxRelativeDifference(fused.hidden, composite.hidden)).toBeLessThan(1e-4);
    made.dispose();
  });

  it('runs a layer of 442K multiply-adds on wasm, where it is WebAssembly SIMD, and not on cpu', async () => {
    await useBackend(backend);
    const made = model({ ...small, dim: 192, nHeads: 8, nKvHeads: 4, hiddenDim: 512 });
    registerFusedKernels();
    const fused = await decode(made, [[1, 7, 3]], 4);
    unregisterFusedKernels();
    const composite = await decode(made, [[1, 7, 3]], 4);
    expect(fused.kernels.get(FUSED.decoderStep)).toBe(backend === 'wasm' ? 2 : undefined);
    expect(maxRelativeDifference(fused.hidden, composite.hidden)).toBeLessThan(1e-4);
    made.dispose();
  });

  it.each([
    { label: 'biases on q, k and v (Qwen2)', config: { ...small, qkvBias: true } },
    {
      label: `a layer wider than ${DECODER_STEP_MAX_MACS.wasmSimd.toLocaleString('en-US')} multiply-adds`,
      config: { ...small, dim: 320, nHeads: 8, nKvHeads: 4, hiddenDim: 1024 },
    },
  ])('leaves $label to the per-op kernels', async ({ config }) => {
    await useBackend(backend);
    const made = model(config);
    registerFusedKernels();
    const { kernels } = await decode(made, [[1, 2]], 1);
    expect(kernels.get(FUSED.decoderStep)).toBeUndefined();
    expect(kernels.get(FUSED.attention)).toBe(2);
    made.dispose();
  });
});

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  }
  return worst / scale;
}
