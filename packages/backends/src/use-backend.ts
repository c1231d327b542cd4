import * as tf from '@tensorflow/tfjs-core';
import { registerFastWasmSlices } from './wasm-slice-kernels.js';

export type BackendName = 'cpu' | 'wasm';
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  /** The backend tfjs now runs on. */
  name: BackendName;
  /** Why it was chosen, in words a person can read in a log. */
  reason: string;
  /** Backends tried before it that failed to start, with their errors. */
  failed: { name: BackendName; error: string }[];
}

/** Backend names accepted by `useBackend`, for argument validation. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'wasm', 'cpu'];

// The order `auto` tries: wasm (SIMD, ~15 GFLOP/s on matMul here) before the pure-JS cpu backend
// (~0.6 GFLOP/s). tfjs-node, tfjs-node-gpu and WebGPU join this list when their support lands.
const AUTO_ORDER: readonly BackendName[] = ['wasm', 'cpu'];

async function registerBackend(name: BackendName): Promise<void> {
  if (tf.findBackendFactory(name)) return;
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else {
    await import('@tensorflow/tfjs-backend-wasm');
    registerFastWasmSlices();
  }
}

async function start(name: BackendName): Promise<void> {
  await registerBackend(name);
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
  if (name === 'cpu') silenceNodeAdvice();
}

// The cpu backend prints a banner recommending tfjs-node on its first write in Node. mini-llama reports its
// backend choice itself (and tfjs-node cannot be installed everywhere), so the banner is switched off.
function silenceNodeAdvice(): void {
  const backend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (backend && 'firstUse' in backend) backend.firstUse = false;
}

/**
 * Selects and initialises a TensorFlow.js backend. An explicit request that fails throws with the reason;
 * `auto` tries the fastest backend first and reports any that failed before the one it chose, so a
 * fallback is never silent.
 */
export async function useBackend(request: BackendRequest = 'auto'): Promise<BackendChoice> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new Error(
      `useBackend: unknown backend "${request}", expected one of ${BACKEND_REQUESTS.join(', ')}`,
    );
  }
  if (request !== 'auto') {
    try {
      await start(request);
    } catch (error) {
      throw new Error(`useBackend: the ${request} backend failed to start: ${messageOf(error)}`);
    }
    return { name: request, reason: `requested explicitly`, failed: [] };
  }
  const failed: BackendChoice['failed'] = [];
  for (const name of AUTO_ORDER) {
    try {
      await start(name);
      const reason =
        failed.length === 0
          ? `auto: ${name} is the fastest backend available`
          : `auto: fell back to ${name} after ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}`;
      return { name, reason, failed };
    } catch (error) {
      failed.push({ name, error: messageOf(error) });
    }
  }
  throw new Error(
    `useBackend: no backend could start: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
