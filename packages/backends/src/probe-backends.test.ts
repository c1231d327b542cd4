import { expect, it } from 'vitest';
import { type ModuleImporter, probeBackends } from './index.js';

// Runs in its own process (Vitest's forks pool). Stand-ins for the optional packages: tfjs-node missing, and a
// `webgpu` package whose probe runs in a child process (so it finds what this machine has: no hardware GPU).
it('lists every backend in auto order, with why the unavailable ones are', async () => {
  const withoutTfjsNode: ModuleImporter = async (name) => {
    throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  const probes = await probeBackends({ importModule: withoutTfjsNode });
  expect(probes.map((p) => p.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
  expect(probes[0]).toEqual({
    name: 'tensorflow',
    available: false,
    reason: 'not installed (pnpm add @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)',
  });
  // without a hardware GPU: no adapter at all, or SwiftShader's software adapter
  const webgpu = probes[1]!;
  if (!webgpu.available) {
    expect(webgpu.reason).toMatch(/^(no WebGPU adapter|only a software adapter|the WebGPU probe failed)/);
  }
  expect(probes.slice(2)).toEqual([
    { name: 'wasm', available: true },
    { name: 'cpu', available: true },
  ]);
});

it('a tfjs-node that loads makes tensorflow available', async () => {
  const fakeTfjsNode: ModuleImporter = async (name) => {
    if (name === '@tensorflow/tfjs-node') return {};
    throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  const [tensorflow] = await probeBackends({ importModule: fakeTfjsNode });
  expect(tensorflow).toEqual({ name: 'tensorflow', available: true });
});
