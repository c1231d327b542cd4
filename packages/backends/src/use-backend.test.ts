import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TENSORFLOW_TESTABLE } from '../../../test-backends.js';
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

  it.skipIf(TENSORFLOW_TESTABLE)(
    'auto picks wasm here, passing over tensorflow (no tfjs-node addon) and webgpu (no GPU adapter)',
    async () => {
      // VK_ICD_FILENAMES unset: Dawn finds no Vulkan GPU on this machine (webgpu.test.ts sets SwiftShader up)
      const { VK_ICD_FILENAMES: _, ...environment } = process.env;
      expect(environment).not.toHaveProperty('VK_ICD_FILENAMES');
      const choice = await useBackend('auto');
      expect(choice.name).toBe('wasm');
      expect(choice.reason).toMatch(/auto: wasm is the fastest backend available/);
      expect(choice.skipped?.map((s) => s.name)).toEqual(['tensorflow', 'webgpu']);
      expect(choice.skipped?.map((s) => s.reason)).toEqual([
        // this repository installs tfjs-node; scripts/tfjs-node-local.sh builds its addon
        expect.stringMatching(
          /^(not installed|tfjs-node failed to load: @tensorflow\/tfjs-node: its native addon is not built)/,
        ),
        'no WebGPU adapter (Dawn found no Vulkan GPU; for tests without one, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)',
      ]);
      expect(tf.getBackend()).toBe('wasm');
    },
  );

  it.runIf(TENSORFLOW_TESTABLE)('auto picks tensorflow here: tfjs-node with its addon built', async () => {
    const choice = await useBackend('auto');
    expect(choice).toMatchObject({
      name: 'tensorflow',
      provider: '@tensorflow/tfjs-node',
      reason: 'auto: tensorflow is the fastest backend available',
      failed: [],
      skipped: [],
    });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('rejects an unknown backend by name', async () => {
    await expect(useBackend('tpu' as never)).rejects.toThrow(
      /unknown backend "tpu", expected one of auto, tensorflow, webgpu, wasm, cpu/,
    );
  });
});
