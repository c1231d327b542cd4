import { skipNote, TENSORFLOW_SKIP, TENSORFLOW_TESTABLE } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ModuleImporter, useBackend } from './index.js';

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

  // What auto passes over depends on the machine (an addon built or not, a GPU, a software Vulkan driver): these
  // tests give useBackend the modules instead, so they assert the rule wherever they run.
  const notInstalled = (name: string) =>
    Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  const addonMissing = () =>
    new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: …');
  const dawnWith = (adapter: object | null) => ({
    create: () => ({ requestAdapter: async () => adapter }),
    globals: {},
  });
  const withModules =
    (modules: Record<string, () => unknown>): ModuleImporter =>
    async (name) => {
      const make = modules[name];
      if (!make) throw notInstalled(name);
      return make();
    };

  it.each([
    ['no WebGPU adapter', null, /^no WebGPU adapter \(Dawn found no Vulkan GPU/],
    [
      'only a software adapter',
      {
        info: {
          vendor: 'google',
          architecture: 'swiftshader',
          description: 'SwiftShader',
          isFallbackAdapter: true,
        },
      },
      /^only a software adapter \(google swiftshader SwiftShader\), slower than wasm$/,
    ],
  ] as const)(
    'auto passes over tensorflow without its addon and webgpu with %s, and picks wasm',
    async (_, adapter, webgpuReason) => {
      const navigator = globalThis as { navigator?: { gpu?: unknown } };
      const gpu = navigator.navigator?.gpu;
      if (navigator.navigator) delete navigator.navigator.gpu; // a test before may have installed Dawn's
      try {
        const choice = await useBackend('auto', {
          importModule: withModules({
            '@tensorflow/tfjs-node': () => {
              throw addonMissing();
            },
            webgpu: () => dawnWith(adapter),
          }),
        });
        expect(choice.name).toBe('wasm');
        expect(choice.reason).toMatch(/^auto: wasm is the fastest backend available/);
        expect(choice.failed).toEqual([]);
        expect(choice.skipped?.map((s) => s.name)).toEqual(['tensorflow', 'webgpu']);
        expect(choice.skipped?.[0]?.reason).toMatch(
          /^tfjs-node failed to load: @tensorflow\/tfjs-node: its native addon is not built/,
        );
        expect(choice.skipped?.[1]?.reason).toMatch(webgpuReason);
        expect(tf.getBackend()).toBe('wasm');
      } finally {
        if (navigator.navigator) {
          if (gpu === undefined) delete navigator.navigator.gpu;
          else Object.defineProperty(navigator.navigator, 'gpu', { value: gpu, configurable: true });
        }
      }
    },
  );

  it('auto says tfjs-node is not installed when neither tfjs-node package is there', async () => {
    const choice = await useBackend('auto', {
      importModule: withModules({ webgpu: () => dawnWith(null) }),
    });
    expect(choice.skipped?.[0]).toEqual({
      name: 'tensorflow',
      reason: 'not installed (pnpm add @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)',
    });
  });

  it.runIf(TENSORFLOW_TESTABLE)(
    `auto picks tensorflow here: tfjs-node with its addon built${skipNote(TENSORFLOW_SKIP)}`,
    async () => {
      const choice = await useBackend('auto');
      expect(choice).toMatchObject({
        name: 'tensorflow',
        provider: '@tensorflow/tfjs-node',
        reason: 'auto: tensorflow is the fastest backend available',
        failed: [],
        skipped: [],
      });
      expect(tf.getBackend()).toBe('tensorflow');
    },
  );

  it('auto on this machine picks a backend and says why it passed over each faster one', async () => {
    const choice = await useBackend('auto');
    const order = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
    const passedOver = [...(choice.skipped ?? []).map((s) => s.name), ...choice.failed.map((f) => f.name)];
    // everything passed over comes before the choice, each with a reason
    for (const name of passedOver) expect(order.indexOf(name)).toBeLessThan(order.indexOf(choice.name));
    for (const { reason } of choice.skipped ?? []) expect(reason.length).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe(choice.name);
  });

  it('rejects an unknown backend by name', async () => {
    await expect(useBackend('tpu' as never)).rejects.toThrow(
      /unknown backend "tpu", expected one of auto, tensorflow, webgpu, wasm, cpu/,
    );
  });
});
