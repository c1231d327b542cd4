import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { isRecordingGradients, matMul, swapLastTwoAxes } from './index.js';
import { expectClose, randomValues } from './test-helpers.js';

/** Plain-JS batched product of row-major arrays: [batch, M, K] · [batch, K, N]. */
function referenceMatMul(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number) {
  const out = new Float64Array(batch * M * N);
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a[s * M * K + i * K + k]! * b[s * K * N + k * N + j]!;
        out[s * M * N + i * N + j] = sum;
      }
    }
  }
  return out;
}

const CASES: { name: string; a: number[]; b: number[] }[] = [
  { name: 'rank 2', a: [3, 4], b: [4, 5] },
  { name: 'rank 3', a: [2, 3, 4], b: [2, 4, 5] },
  { name: 'rank 4', a: [2, 3, 2, 4], b: [2, 3, 4, 5] },
];

describe.each(PARITY_BACKENDS)('matMul on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it.each(CASES)('equals tf.matMul and a plain-JS product for $name', ({ a: aShape, b: bShape }) => {
    const before = tf.memory().numTensors;
    const aValues = randomValues(tf.util.sizeFromShape(aShape), 1);
    const bValues = randomValues(tf.util.sizeFromShape(bShape), 2);
    const [ours, theirs] = tf.tidy(() => {
      const a = tf.tensor(aValues, aShape);
      const b = tf.tensor(bValues, bShape);
      return [matMul(a, b), tf.matMul(a, b)];
    });
    const [M, K] = aShape.slice(-2) as [number, number];
    const N = bShape[bShape.length - 1]!;
    expect(ours.shape).toEqual([...aShape.slice(0, -1), N]);
    expectClose(ours.dataSync(), theirs.dataSync(), 1e-6);
    const batch = aValues.length / (M * K);
    expectClose(ours.dataSync(), referenceMatMul(aValues, bValues, batch, M, K, N), 1e-5);
    tf.dispose([ours, theirs]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(CASES)('has the gradients of tf.matMul for $name', ({ a: aShape, b: bShape }) => {
    const before = tf.memory().numTensors;
    const outShape = [...aShape.slice(0, -1), bShape[bShape.length - 1]!];
    const [oursGrads, theirsGrads] = tf.tidy(() => {
      const a = tf.tensor(randomValues(tf.util.sizeFromShape(aShape), 3), aShape);
      const b = tf.tensor(randomValues(tf.util.sizeFromShape(bShape), 4), bShape);
      // A non-uniform upstream gradient, so that a transposition mistake cannot cancel out.
      const upstream = tf.tensor(randomValues(tf.util.sizeFromShape(outShape), 5), outShape);
      const loss = (product: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(product(x, y), upstream));
      return [tf.grads(loss(matMul))([a, b]), tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b])];
    });
    expect(oursGrads[0]!.shape).toEqual(aShape);
    expect(oursGrads[1]!.shape).toEqual(bShape);
    expectClose(oursGrads[0]!.dataSync(), theirsGrads[0]!.dataSync(), 1e-5);
    expectClose(oursGrads[1]!.dataSync(), theirsGrads[1]!.dataSync(), 1e-5);
    tf.dispose([...oursGrads, ...theirsGrads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  // On tensorflow, matMul keeps tfjs's own gradient on purpose: TensorFlow multiplies transposed operands at full speed.
  it('runs every product of its gradient in the plain (untransposed) layout, but on tensorflow', async () => {
    const before = tf.memory().numTensors;
    // BatchMatMul kernels record their input shapes; in the plain layout a's last dim meets b's second-to-last.
    const plainLayout = async (product: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => {
      const profile = await tf.profile(() =>
        tf.tidy(() => {
          const a = tf.tensor(randomValues(2 * 3 * 4, 6), [2, 3, 4]);
          const b = tf.tensor(randomValues(2 * 4 * 5, 7), [2, 4, 5]);
          return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(product(x, y)))([a, b]);
        }),
      );
      tf.dispose(profile.result);
      const products = profile.kernels.filter((kernel) => kernel.name === 'BatchMatMul');
      expect(products.length).toBe(3); // forward, dA, dB
      return products.every(({ inputShapes: [a, b] }) => a![a!.length - 1] === b![b!.length - 2]);
    };
    expect(await plainLayout(matMul)).toBe(backend !== 'tensorflow');
    // tfjs's own gradient uses transposeA / transposeB, which the check above would notice.
    expect(await plainLayout((x, y) => tf.matMul(x, y))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched shapes with messages that name the operands', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(() => matMul(tf.zeros([2, 3]), tf.zeros([2, 3, 4]))).toThrow(
        'matMul: operands have shapes [2,3] and [2,3,4], expected equal ranks ≥ 2',
      );
      expect(() => matMul(tf.zeros([3]), tf.zeros([3]))).toThrow(
        /matMul: operands have shapes \[3\] and \[3\]/,
      );
      expect(() => matMul(tf.zeros([2, 3]), tf.zeros([4, 5]))).toThrow(
        'matMul: inner dimensions differ: [2,3] · [4,5]',
      );
      expect(() => matMul(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 5]))).toThrow(
        'matMul: batch dimensions differ: [2,3,4] · [3,4,5]',
      );
      // tf.matMul would broadcast a batch dim of 1, but the fast gradient cannot reduce over it: refuse up front.
      expect(() => matMul(tf.zeros([1, 3, 4]), tf.zeros([2, 4, 5]))).toThrow(
        /matMul: batch dimensions differ/,
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('swapLastTwoAxes transposes the last two axes only and rejects rank < 2', () => {
    const before = tf.memory().numTensors;
    const swapped = tf.tidy(() =>
      swapLastTwoAxes(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3])),
    );
    expect(swapped.shape).toEqual([2, 3, 2]);
    expect(Array.from(swapped.dataSync())).toEqual([1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12]);
    swapped.dispose();
    tf.tidy(() => {
      expect(() => swapLastTwoAxes(tf.zeros([3]))).toThrow(
        'swapLastTwoAxes: tensor has rank 1, expected at least 2',
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('matMul outside gradient recording', () => {
  it('knows when tfjs records a gradient, and gives the same value either way', async () => {
    await useBackend('cpu');
    const a = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const b = tf.tensor2d([
      [0.5, -1],
      [2, 0],
    ]);
    expect(isRecordingGradients()).toBe(false);
    const outside = matMul(a, b);
    let inside: number[] = [];
    let recording = false;
    const grad = tf.grad((x: tf.Tensor) => {
      recording = isRecordingGradients();
      const product = matMul(x, b);
      inside = Array.from(product.dataSync());
      return tf.sum(product);
    })(a);
    expect(recording).toBe(true);
    expect(inside).toEqual(Array.from(outside.dataSync()));
    expect(Array.from(grad.dataSync())).toEqual([-0.5, 2, -0.5, 2]); // row sums of b, for each row of a
    tf.dispose([a, b, outside, grad]);
  });
});
