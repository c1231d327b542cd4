import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from './index.js';

describe('useBackend', () => {
  it.each(['cpu', 'wasm'] as const)('starts %s when asked, and says so', async (name) => {
    const choice = await useBackend(name);
    expect(choice).toMatchObject({ name, reason: 'requested explicitly', failed: [] });
    if (name === 'wasm') expect(choice.threads).toBeGreaterThanOrEqual(1);
    expect(tf.getBackend()).toBe(name);
    // it really computes
    const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
    expect(sum).toBe(6);
  });

  it('auto picks wasm here, the fastest backend this machine has', async () => {
    const choice = await useBackend('auto');
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toMatch(/auto: wasm is the fastest backend available/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend by name', async () => {
    await expect(useBackend('tpu' as never)).rejects.toThrow(
      /unknown backend "tpu", expected one of auto, wasm, cpu/,
    );
  });
});
