import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DecoderStepLayer,
  decoderStep,
  FeedForward,
  FUSED,
  GroupedQueryAttention,
  LayerKvCache,
  RmsNorm,
  RotaryEmbedding,
} from './index.js';
import { registerFusedKernels, unregisterFusedKernels } from './kernels/index.js';

// The model's tests (packages/model/src/decoder-layer.test.ts) compare the kernel with the composite layer; here,
// when the dispatcher declines, and what the kernel says about inputs that do not make a layer.

const DIM = 16;
let layer: DecoderStepLayer;
const rotary = () => new RotaryEmbedding({ headDim: 4, maxSeqLen: 32 });

describe.each(['cpu', 'wasm'] as const)('decoderStep on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
    layer = {
      inputLayernorm: new RmsNorm({ dim: DIM }),
      selfAttn: new GroupedQueryAttention({ dim: DIM, nHeads: 4, nKvHeads: 2 }),
      postAttentionLayernorm: new RmsNorm({ dim: DIM }),
      mlp: new FeedForward({ dim: DIM, hiddenDim: 24 }),
    };
  });
  afterEach(() => {
    unregisterFusedKernels();
    layer.inputLayernorm.dispose();
    layer.selfAttn.dispose();
    layer.postAttentionLayernorm.dispose();
    layer.mlp.dispose();
  });

  it('declines without a cache, for more than one token a row, and after the kernels are unregistered', () => {
    const rope = rotary();
    const cache = new LayerKvCache();
    const one = tf.ones([2, DIM]);
    const two = tf.ones([4, DIM]);
    const call = { rotary: rope, batch: 2, positions: 0, mask: null };
    expect(decoderStep(one, layer, { ...call, cache: undefined })).toBeNull();
    expect(decoderStep(two, layer, { ...call, cache })).toBeNull();
    expect(cache.length).toBe(0);
    const out = decoderStep(one, layer, { ...call, cache })!;
    expect(out.shape).toEqual([2, DIM]);
    expect(cache.length).toBe(1);
    unregisterFusedKernels();
    expect(decoderStep(one, layer, { ...call, positions: 1, cache })).toBeNull();
    expect(cache.length).toBe(1);
    tf.dispose([one, two, out]);
    cache.dispose();
    rope.dispose();
  });

  it('names the shapes when a cache does not fit the layer', () => {
    const before = tf.memory().numTensors;
    const inputs = {
      h: tf.ones([1, DIM]),
      attentionNorm: layer.inputLayernorm.weight,
      wq: layer.selfAttn.qProj.weight,
      wk: layer.selfAttn.kProj.weight,
      wv: layer.selfAttn.vProj.weight,
      wo: layer.selfAttn.oProj.weight,
      feedForwardNorm: layer.postAttentionLayernorm.weight,
      wGate: layer.mlp.gateProj.weight,
      wUp: layer.mlp.upProj.weight,
      wDown: layer.mlp.downProj.weight,
      keyBuffer: tf.zeros([1, 4, 16, 4]), // four key/value heads for a layer of two
      valueBuffer: tf.zeros([1, 4, 16, 4]),
      cos: tf.ones([1, 1, 1, 4]),
      sin: tf.zeros([1, 1, 1, 4]),
    };
    const attrs = { nHeads: 4, nKvHeads: 2, eps: 1e-5, offset: 0 };
    expect(() => tf.engine().runKernel(FUSED.decoderStep, inputs, attrs)).toThrow(
      `${FUSED.decoderStep}: h [1,16], q/k/v/o [16,16] [16,8] [16,8] [16,16], gate/up/down [16,24] [16,24] [24,16], cache [1,4,16,4] at 0, tables [1,1,1,4], no mask do not make one layer of 4 / 2 heads`,
    );
    tf.dispose([inputs.h, inputs.keyBuffer, inputs.valueBuffer, inputs.cos, inputs.sin]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
