import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it } from 'vitest';
import { type ModuleImporter, useBackend } from './index.js';

// tfjs-node(-gpu) cannot be installed on our machines (its install downloads libtensorflow), so this stands in
// for it: importing '@tensorflow/tfjs-node' registers a 'tensorflow' backend (here, tfjs's cpu kernels under
// that name), exactly what the real package's import does. Runs in its own process (Vitest's forks pool).
const imported: string[] = [];
const fakeTfjsNode: ModuleImporter = async (name) => {
  imported.push(name);
  if (name === '@tensorflow/tfjs-node') {
    const cpu = tf.findBackendFactory('cpu')!;
    tf.registerBackend('tensorflow', cpu);
    for (const kernel of tf.getKernelsForBackend('cpu')) {
      tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
    }
    return {};
  }
  throw new Error(`Cannot find package '${name}'`);
};

it('an explicit request names the packages to install when neither is there', async () => {
  await expect(
    useBackend('tensorflow', {
      importModule: async (name) => Promise.reject(new Error(`Cannot find package '${name}'`)),
    }),
  ).rejects.toThrow(
    'useBackend: the tensorflow backend failed to start: not installed (pnpm add @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)',
  );
});

it('says what went wrong when an installed tfjs-node fails to load', async () => {
  const broken: ModuleImporter = async (name) => {
    if (name === '@tensorflow/tfjs-node')
      throw new Error('libtensorflow.so.2: cannot open shared object file');
    throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  await expect(useBackend('tensorflow', { importModule: broken })).rejects.toThrow(
    'useBackend: the tensorflow backend failed to start: tfjs-node failed to load: @tensorflow/tfjs-node: libtensorflow.so.2: cannot open shared object file',
  );
});

it('auto prefers tfjs-node when it is installed, trying tfjs-node-gpu first', async () => {
  const choice = await useBackend('auto', { importModule: fakeTfjsNode });
  expect(imported).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  expect(choice).toMatchObject({
    name: 'tensorflow',
    provider: '@tensorflow/tfjs-node',
    reason: 'auto: tensorflow is the fastest backend available',
    skipped: [],
    failed: [],
  });
  expect(tf.getBackend()).toBe('tensorflow');
  expect(tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync())).toEqual(
    Float32Array.from([3, 3, 3, 3]),
  );
});
