import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { Linear } from './index.js';
import { expectClose } from './test-helpers.js';

describe.each(PARITY_BACKENDS)('Linear on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('computes x·W and trains', () => {
    const before = tf.memory().numTensors;
    const linear = new Linear({ inFeatures: 2, outFeatures: 3 });
    tf.tidy(() =>
      linear.weight.assign(
        tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    );
    const y = tf.tidy(() => linear.apply(tf.tensor3d([[[1, 1]], [[2, -1]]])));
    expect(y.shape).toEqual([2, 1, 3]);
    expect(Array.from(y.dataSync())).toEqual([5, 7, 9, -2, -1, 0]);
    const { value, grads } = tf.variableGrads(() => tf.sum(linear.apply(tf.tensor2d([[1, 2]]))) as tf.Scalar);
    expect(Array.from(grads[linear.weight.name]!.dataSync())).toEqual([1, 1, 1, 2, 2, 2]);
    tf.dispose([y, value, grads]);
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has no bias by default, as in Llama', () => {
    const before = tf.memory().numTensors;
    const linear = new Linear({ inFeatures: 2, outFeatures: 3 });
    expect(linear.bias).toBeUndefined();
    expect(Object.keys(linear.parameters())).toEqual(['weight']);
    expect(linear.weight.shape).toEqual([2, 3]); // [in, out], the transpose of PyTorch's layout
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('adds the bias to every row and reports it as a parameter', () => {
    const before = tf.memory().numTensors;
    const linear = new Linear({ inFeatures: 2, outFeatures: 3, bias: true });
    expect(Object.keys(linear.parameters())).toEqual(['weight', 'bias']);
    expect(linear.parameters()['bias']!.shape).toEqual([3]);
    tf.tidy(() => {
      linear.weight.assign(
        tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );
      linear.bias!.assign(tf.tensor1d([10, 20, 30]));
    });
    // Rank 4: the leading axes are flattened and restored around one 2-D product.
    const y = tf.tidy(() => linear.apply(tf.tensor4d([1, 1, 2, -1, 0, 0], [1, 3, 1, 2])));
    expect(y.shape).toEqual([1, 3, 1, 3]);
    expect(Array.from(y.dataSync())).toEqual([15, 27, 39, 8, 19, 30, 10, 20, 30]);
    y.dispose();
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the input gradient dy·Wᵀ and the bias gradient Σ dy (hand computation)', () => {
    const before = tf.memory().numTensors;
    const linear = new Linear({ inFeatures: 2, outFeatures: 3, bias: true });
    const W = [
      [1, -2, 3],
      [0.5, 4, -1],
    ];
    const x = [
      [1, 2],
      [-3, 0.5],
    ];
    const dy = [
      [1, 0, -1],
      [2, 3, 0.5],
    ];
    tf.tidy(() => linear.weight.assign(tf.tensor2d(W)));
    const [inputGrad, biasGrad, weightGrad] = tf.tidy(() => {
      const upstream = tf.tensor2d(dy);
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(linear.apply(input), upstream));
      const input = tf.tensor2d(x);
      const { grads } = tf.variableGrads(() => loss(input) as tf.Scalar);
      return [tf.grad(loss)(input), grads[linear.bias!.name]!, grads[linear.weight.name]!];
    });
    // dx[n][i] = Σ_o dy[n][o] · W[i][o]
    const expectedInput = dy.flatMap((row) =>
      W.map((wRow) => wRow.reduce((sum, w, o) => sum + w * row[o]!, 0)),
    );
    expectClose(inputGrad.dataSync(), expectedInput, 1e-6);
    expectClose(biasGrad.dataSync(), [3, 3, -0.5], 1e-6);
    // dW[i][o] = Σ_n x[n][i] · dy[n][o]
    const expectedWeight = [0, 1].flatMap((i) =>
      [0, 1, 2].map((o) => x[0]![i]! * dy[0]![o]! + x[1]![i]! * dy[1]![o]!),
    );
    expectClose(weightGrad.dataSync(), expectedWeight, 1e-6);
    tf.dispose([inputGrad, biasGrad, weightGrad]);
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the expected last dimension when the input does not match', () => {
    const before = tf.memory().numTensors;
    const linear = new Linear({ inFeatures: 4, outFeatures: 3 });
    tf.tidy(() => {
      expect(() => linear.apply(tf.zeros([2, 5, 3]))).toThrow(
        'Linear: input has shape [2,5,3], expected last dimension 4',
      );
    });
    linear.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects feature counts that are not positive integers', () => {
    const before = tf.memory().numTensors;
    expect(() => new Linear({ inFeatures: 0, outFeatures: 3 })).toThrow(
      'Linear: inFeatures must be a positive integer, got 0',
    );
    expect(() => new Linear({ inFeatures: 2, outFeatures: 1.5 })).toThrow(
      'Linear: outFeatures must be a positive integer, got 1.5',
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
