import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FeedForward } from './index.js';
import { expectClose, project, randomValues } from './test-helpers.js';

/** llama2.c's FFN: w2(silu(w1(x)) ⊙ w3(x)), silu(z) = z / (1 + e^−z). */
function referenceSwiGlu(
  x: ArrayLike<number>,
  rows: number,
  dim: number,
  hidden: number,
  w1: ArrayLike<number>,
  w3: ArrayLike<number>,
  w2: ArrayLike<number>,
) {
  const gate = project(x, w1, rows, dim, hidden);
  const up = project(x, w3, rows, dim, hidden);
  const product = gate.map((z, i) => (z / (1 + Math.exp(-z))) * up[i]!);
  return project(product, w2, rows, hidden, dim);
}

describe.each(PARITY_BACKENDS)('FeedForward on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('equals a plain-JS SwiGLU, down(silu(gate(x)) ⊙ up(x))', () => {
    const before = tf.memory().numTensors;
    const dim = 8;
    const hidden = 12;
    const feedForward = new FeedForward({ dim, hiddenDim: hidden });
    expect(feedForward.hiddenDim).toBe(hidden);
    // Weights large enough to push the gate into silu's non-linear range (both signs).
    const w1 = randomValues(dim * hidden, 51, 1.5);
    const w3 = randomValues(dim * hidden, 52);
    const w2 = randomValues(hidden * dim, 53);
    tf.tidy(() => {
      feedForward.gateProj.weight.assign(tf.tensor2d(w1, [dim, hidden]));
      feedForward.upProj.weight.assign(tf.tensor2d(w3, [dim, hidden]));
      feedForward.downProj.weight.assign(tf.tensor2d(w2, [hidden, dim]));
    });
    const x = randomValues(2 * 3 * dim, 54, 2);
    const y = tf.tidy(() => feedForward.apply(tf.tensor3d(x, [2, 3, dim])));
    expect(y.shape).toEqual([2, 3, dim]);
    expectClose(y.dataSync(), referenceSwiGlu(x, 6, dim, hidden, w1, w3, w2), 1e-5);
    y.dispose();
    feedForward.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names parameters like HF', () => {
    const before = tf.memory().numTensors;
    const feedForward = new FeedForward({ dim: 64, hiddenDim: 172 });
    expect(feedForward.hiddenDim).toBe(172);
    const shapes = Object.fromEntries(
      Object.entries(feedForward.parameters()).map(([key, p]) => [key, p.shape]),
    );
    expect(shapes).toEqual({
      'gate_proj.weight': [64, 172],
      'up_proj.weight': [64, 172],
      'down_proj.weight': [172, 64],
    });
    feedForward.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has biases on its three projections when asked (HF mlp_bias)', () => {
    const before = tf.memory().numTensors;
    const feedForward = new FeedForward({ dim: 4, hiddenDim: 6, bias: true });
    const shapes = Object.fromEntries(
      Object.entries(feedForward.parameters()).map(([key, p]) => [key, p.shape]),
    );
    expect(shapes).toEqual({
      'gate_proj.weight': [4, 6],
      'gate_proj.bias': [6],
      'up_proj.weight': [4, 6],
      'up_proj.bias': [6],
      'down_proj.weight': [6, 4],
      'down_proj.bias': [4],
    });
    // With zero weights the output is down's bias alone: the biases are the ones applied.
    tf.tidy(() => feedForward.downProj.bias!.assign(tf.tensor1d([1, 2, 3, 4])));
    const y = tf.tidy(() => feedForward.apply(tf.ones([1, 4])));
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    feedForward.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains: gradients reach all three projections', () => {
    const before = tf.memory().numTensors;
    const dim = 4;
    const hidden = 6;
    const feedForward = new FeedForward({ dim, hiddenDim: hidden });
    tf.tidy(() => {
      feedForward.gateProj.weight.assign(tf.tensor2d(randomValues(dim * hidden, 55), [dim, hidden]));
      feedForward.upProj.weight.assign(tf.tensor2d(randomValues(dim * hidden, 56), [dim, hidden]));
      feedForward.downProj.weight.assign(tf.tensor2d(randomValues(hidden * dim, 57), [hidden, dim]));
    });
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor2d(randomValues(3 * dim, 58), [3, dim]);
      return tf.variableGrads(() => tf.sum(tf.square(feedForward.apply(x))) as tf.Scalar);
    });
    for (const variable of Object.values(feedForward.parameters())) {
      const gradient = grads[variable.name]!.dataSync();
      expect(gradient.every(Number.isFinite)).toBe(true);
      expect(gradient.some((g) => Math.abs(g) > 1e-4)).toBe(true);
    }
    tf.dispose([value, grads]);
    feedForward.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
