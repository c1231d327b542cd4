import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from './index.js';

/** Runs `f` on cpu (tfjs's reference kernels) and on wasm (ours for contiguous slices), returning both. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<[number[][], number[][]]> {
  const run = () => {
    const result = tf.tidy(f);
    const tensors = Array.isArray(result) ? result : [result];
    const values = tensors.map((t) => Array.from(t.dataSync()));
    tf.dispose(tensors);
    return values;
  };
  await useBackend('cpu');
  const reference = run();
  await useBackend('wasm');
  return [reference, run()];
}

const ramp = (shape: number[]) =>
  tf.reshape(
    tf.range(
      0,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );

describe('wasm Slice and SplitV that copy only the slice', () => {
  it.each([
    ['leading rows of a matrix (contiguous)', () => tf.slice(ramp([6, 4]), [2, 0], [3, 4])],
    ['a block inside (not contiguous: the original kernel)', () => tf.slice(ramp([6, 4]), [1, 1], [2, 2])],
    ['rank 4, contiguous', () => tf.slice(ramp([3, 2, 2, 2]), [1, 0, 0, 0], [2, 2, 2, 2])],
    ['int32', () => tf.slice(tf.cast(ramp([5, 3]), 'int32'), [3, 0], [2, 3])],
  ])('slice: %s equals the cpu backend', async (_, f) => {
    const [reference, ours] = await onBoth(f);
    expect(ours).toEqual(reference);
  });

  it.each([
    ['equal parts along axis 0', () => tf.split(ramp([6, 3]), 3, 0)],
    ['sizes along axis 0', () => tf.split(ramp([7, 2]), [1, 4, 2], 0)],
    ['along axis 1 (the original kernel)', () => tf.split(ramp([2, 6]), 2, 1)],
  ])('split: %s equals the cpu backend', async (_, f) => {
    const [reference, ours] = await onBoth(f);
    expect(ours).toEqual(reference);
  });

  it('leaks nothing and survives heap growth between reads', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const big = tf.tidy(() => ramp([4096, 64]));
    const parts = tf.split(big, 64, 0); // 64 outputs allocated one after another
    expect(Array.from(parts[63]!.dataSync().slice(0, 2))).toEqual([63 * 64 * 64, 63 * 64 * 64 + 1]);
    tf.dispose([big, ...parts]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
