import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it } from 'vitest';
import { type ModuleImporter, useBackend } from './index.js';

// How useBackend finds tfjs-node(-gpu), with stand-ins for the packages (tensorflow-node.test.ts runs the real
// one where its addon is built): importing '@tensorflow/tfjs-node' registers a 'tensorflow' backend (here,
// tfjs's cpu kernels under that name), exactly what the real package's import does. Runs in its own process
// (Vitest's forks pool).
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

it('says how to build the addon when tfjs-node is installed without it', async () => {
  // tfjs-node's own message when its install script did not (or could not) put the addon in place
  const withoutAddon: ModuleImporter = async (name) => {
    if (name === '@tensorflow/tfjs-node') {
      throw new Error(
        'The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node. \nPlease run command ...',
      );
    }
    throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  await expect(useBackend('tensorflow', { importModule: withoutAddon })).rejects.toThrow(
    "useBackend: the tensorflow backend failed to start: tfjs-node failed to load: @tensorflow/tfjs-node: its native addon is not built (its install script downloads libtensorflow; without that network, mini-llama's scripts/tfjs-node-local.sh builds it against a TensorFlow pip wheel)",
  );
});

it('auto for generation tries wasm before tfjs-node (its per-op cost dominates decoding)', async () => {
  imported.length = 0;
  const choice = await useBackend('auto', { importModule: fakeTfjsNode, workload: 'generate' });
  expect(choice).toMatchObject({
    name: 'wasm',
    reason: 'auto: wasm is the fastest backend available for generation',
    failed: [],
  });
  expect(choice.skipped?.map((s) => s.name)).toEqual(['webgpu']);
  expect(imported).not.toContain('@tensorflow/tfjs-node');
  imported.length = 0;
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

it("turns TensorFlow's oneDNN kernels on before tfjs-node loads, unless the user set them", async () => {
  const { registerTensorflowBackend } = await import('./tensorflow-node.js');
  const saved = process.env.TF_ENABLE_ONEDNN_OPTS;
  const seen: (string | undefined)[] = [];
  const recording: ModuleImporter = async () => {
    seen.push(process.env.TF_ENABLE_ONEDNN_OPTS);
    return {};
  };
  try {
    delete process.env.TF_ENABLE_ONEDNN_OPTS;
    await registerTensorflowBackend(recording);
    process.env.TF_ENABLE_ONEDNN_OPTS = '0';
    await registerTensorflowBackend(recording);
    expect(seen).toEqual(['1', '0']);
  } finally {
    if (saved === undefined) delete process.env.TF_ENABLE_ONEDNN_OPTS;
    else process.env.TF_ENABLE_ONEDNN_OPTS = saved;
  }
});
