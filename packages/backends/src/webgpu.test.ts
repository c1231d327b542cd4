import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { type ModuleImporter, SWIFTSHADER_ICD, useBackend } from './index.js';
import { importModule } from './webgpu-node.js';

// Without a GPU, Dawn (the `webgpu` package) runs on SwiftShader's Vulkan driver, shipped with Debian's
// chromium; the Vulkan loader (libvulkan1) must be installed too. CI installs both.
const vulkanLoader = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
].some(existsSync);
const skip = !existsSync(SWIFTSHADER_ICD)
  ? `no ${SWIFTSHADER_ICD} (apt-get install chromium)`
  : !vulkanLoader
    ? 'no Vulkan loader (apt-get install libvulkan1)'
    : null;

describe.skipIf(skip)(`webgpu in Node (Dawn on SwiftShader)${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('auto passes over a software adapter, and an explicit request uses it and computes what cpu does', async () => {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    // as if tfjs-node were not installed (where its addon is built, auto would stop at tensorflow)
    const withoutTfjsNode: ModuleImporter = async (name) => {
      if (name.startsWith('@tensorflow/tfjs-node')) {
        throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return importModule(name);
    };
    const auto = await useBackend('auto', { importModule: withoutTfjsNode });
    expect(auto.name).toBe('wasm');
    expect(auto.skipped?.find((s) => s.name === 'webgpu')?.reason).toMatch(
      /^only a software adapter \(google swiftshader .*\), slower than wasm$/,
    );

    const choice = await useBackend('webgpu');
    expect(choice).toMatchObject({ name: 'webgpu', reason: 'requested explicitly', failed: [] });
    expect(choice.adapter).toMatch(/swiftshader/i);
    const a = tf.randomUniform([33, 20], -1, 1, 'float32', 5);
    const b = tf.randomUniform([20, 17], -1, 1, 'float32', 6);
    const onGpu = await tf.tidy(() => tf.softmax(tf.matMul(a, b))).data();
    const [aValues, bValues] = [await a.array(), await b.array()];
    await tf.setBackend('cpu');
    const onCpu = tf.tidy(() => tf.softmax(tf.matMul(tf.tensor(aValues), tf.tensor(bValues))).dataSync());
    const worst = Math.max(...Array.from(onGpu, (value, i) => Math.abs(value - onCpu[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });
});
