import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Runs `work` and checks that it leaves as many tensors alive as there were before: a layer, a training step
 * or a generation loop must dispose of everything it made but what it returns. The work's result is returned
 * and counted against it only when `keeps` says how many tensors it holds.
 */
export async function expectNoLeaks<T>(work: () => T | Promise<T>, { keeps = 0 } = {}): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await work();
  const leaked = tf.memory().numTensors - before - keeps;
  if (leaked !== 0)
    expect.fail(
      `${leaked > 0 ? `${leaked} tensor(s) leaked` : `${-leaked} tensor(s) disposed that the work did not make`}`,
    );
  return result;
}
