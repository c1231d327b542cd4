import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from './index.js';

// logits [2, 3, 4] and targets [2, 3]; -100 marks an ignored position (PyTorch's default ignore_index)
const logits = [
  [
    [0.1, 1.2, -0.3, 0.5],
    [2.0, -1.0, 0.0, 0.3],
    [0.0, 0.0, 0.0, 0.0],
  ],
  [
    [-0.5, 0.4, 1.1, -2.0],
    [0.7, 0.7, -0.2, 1.5],
    [3.0, 0.1, -0.1, 0.2],
  ],
];
const targets = [
  [1, 0, 3],
  [2, -100, 0],
];

/** Plain-JS reference: mean over kept positions of logsumexp(z) − z[target], and its gradient. */
function reference(ignoreIndex?: number) {
  const rows = logits.flat();
  const ids = targets.flat();
  const kept = ids.map((id) => id !== ignoreIndex);
  const count = kept.filter(Boolean).length;
  let loss = 0;
  const grad = rows.map((row, n) => {
    const max = Math.max(...row);
    const total = row.reduce((sum, z) => sum + Math.exp(z - max), 0);
    if (!kept[n]) return row.map(() => 0);
    loss += max + Math.log(total) - row[ids[n]!]!;
    return row.map((z, v) => (Math.exp(z - max) / total - (v === ids[n] ? 1 : 0)) / count);
  });
  return { loss: loss / count, grad: grad.flat() };
}

describe.each(PARITY_BACKENDS)('crossEntropy on %s', (backend) => {
  it('matches the reference loss and gradient, ignoring -100 targets', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const z = tf.tensor3d(logits);
    const y = tf.tensor2d(targets, [2, 3], 'int32');
    const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => crossEntropy(x, y, { ignoreIndex: -100 }))([
      z,
    ]);
    const expected = reference(-100);
    expect(value.dataSync()[0]).toBeCloseTo(expected.loss, 5);
    Array.from(grads[0]!.dataSync()).forEach((g, i) => {
      expect(g).toBeCloseTo(expected.grad[i]!, 6);
    });
    tf.dispose([z, y, value, grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('averages over every position without ignoreIndex', async () => {
    await useBackend(backend);
    const allKept = targets.map((row) => row.map((id) => (id < 0 ? 1 : id)));
    const loss = tf.tidy(
      () => crossEntropy(tf.tensor3d(logits), tf.tensor2d(allKept, [2, 3], 'int32')).dataSync()[0],
    );
    const rows = logits.flat();
    const expected =
      allKept.flat().reduce((sum, id, n) => {
        const row = rows[n]!;
        return sum + Math.log(row.reduce((s, z) => s + Math.exp(z), 0)) - row[id]!;
      }, 0) / 6;
    expect(loss).toBeCloseTo(expected, 5);
  });
});

describe('crossEntropy errors', () => {
  it('names mismatched shapes and float targets', async () => {
    await useBackend('cpu');
    tf.tidy(() => {
      expect(() => crossEntropy(tf.zeros([2, 3, 4]), tf.zeros([2, 2], 'int32'))).toThrow(
        /crossEntropy: logits \[2,3,4\] do not match targets \[2,2\]/,
      );
      expect(() => crossEntropy(tf.zeros([2, 4]), tf.zeros([2]))).toThrow(
        /targets have dtype float32, expected int32/,
      );
    });
  });
});
