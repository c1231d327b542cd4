import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { type ModuleImporter, useBackend } from './index.js';

// Runs in its own process (Vitest's forks pool): a wasm backend that cannot start is registered before
// the real one could be, as happens when its .wasm binary is missing.
it('auto reports a backend that failed to start and the fallback it took', async () => {
  tf.registerBackend('wasm', () => {
    throw new Error('tfjs-backend-wasm.wasm not found');
  });
  // as if tfjs-node were not installed (where its addon is built, auto would stop at tensorflow)
  const withoutTfjsNode: ModuleImporter = async (name) => {
    throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  const choice = await useBackend('auto', { importModule: withoutTfjsNode });
  expect(choice.name).toBe('cpu');
  expect(choice.failed.map((f) => f.name)).toEqual(['wasm']);
  expect(choice.reason).toMatch(/^auto: fell back to cpu after wasm \(/);
  expect(tf.getBackend()).toBe('cpu');
});

it('an explicit request that fails throws with the reason', async () => {
  await expect(useBackend('wasm')).rejects.toThrow(/useBackend: the wasm backend failed to start/);
});
