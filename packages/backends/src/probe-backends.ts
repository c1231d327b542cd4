import * as tf from '@tensorflow/tfjs-core';
import { AUTO_ORDER, type BackendName, type UseBackendOptions } from './use-backend.js';
import { importModule } from './webgpu-node.js';

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why not, for an unavailable backend. */
  reason?: string;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * The backends that could run here, in the order `auto` tries them (fastest first), without starting any:
 * for comparing backends side by side (`mini-llama bench`), where `useBackend('auto')` starts only the first.
 * - tensorflow: @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node loads (importing it registers the backend);
 * - webgpu: a hardware adapter (asked from a child process in Node); a software one such as SwiftShader is
 *   listed as unavailable, being far slower than wasm (request it with useBackend('webgpu') to use it anyway);
 * - wasm and cpu: always (dependencies of this package; not imported here, so that useBackend sets them up).
 */
export async function probeBackends(
  options: Pick<UseBackendOptions, 'importModule'> = {},
): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const name of AUTO_ORDER) {
    try {
      await probe(name, options.importModule ?? importModule);
      probes.push({ name, available: true });
    } catch (error) {
      probes.push({ name, available: false, reason: (error as Error).message });
    }
  }
  return probes;
}

async function probe(name: BackendName, load: (name: string) => Promise<unknown>): Promise<void> {
  if (tf.findBackendFactory(name) && name !== 'webgpu') return;
  if (name === 'tensorflow') {
    const { registerTensorflowBackend } = await import('./tensorflow-node.js');
    await registerTensorflowBackend(load);
  } else if (name === 'webgpu') {
    if (!isNode) {
      if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
        throw new Error('this browser has no navigator.gpu');
      }
      return;
    }
    const { probeNodeWebGpu } = await import('./webgpu-node.js');
    const adapter = await probeNodeWebGpu();
    if (adapter.isFallbackAdapter) {
      throw new Error(`only a software adapter (${adapter.description}), slower than wasm`);
    }
  }
}
