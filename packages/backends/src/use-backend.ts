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
  /** For wasm: how many threads its XNNPACK pool runs on (1 = single-threaded). */
  threads?: number;
}

export interface UseBackendOptions {
  /**
   * Threads for the wasm backend in Node (default: one per core, at most 8; 1 = tfjs's single-threaded build).
   * In the browser tfjs decides (it needs cross-origin isolation for threads).
   */
  wasmThreads?: number;
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

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function start(name: BackendName, options: UseBackendOptions): Promise<string | undefined> {
  await registerBackend(name);
  if (tf.getBackend() === name || (name === 'wasm' && tf.findBackend('wasm'))) {
    if (tf.getBackend() !== name) await setBackendOrThrow(name);
    const running = await threadsOf(name);
    const asked = options.wasmThreads;
    return asked !== undefined && running !== undefined && asked !== running
      ? `already running on ${running} threads: wasmThreads applies only before wasm first starts`
      : undefined;
  }
  let note: string | undefined;
  if (name === 'wasm') note = await startWasm(options);
  else await setBackendOrThrow(name);
  if (name === 'cpu') silenceNodeAdvice();
  return note;
}

async function setBackendOrThrow(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
}

// In Node, wasm starts on several threads when it can (./wasm-threads-node.ts); if the threaded start fails,
// it falls back to the single-threaded build and says why. Returns that note, if any.
async function startWasm(options: UseBackendOptions): Promise<string | undefined> {
  if (!isNode || tf.findBackend('wasm')) {
    await setBackendOrThrow('wasm');
    return undefined;
  }
  const threadsModule = await import('./wasm-threads-node.js');
  const threads = options.wasmThreads ?? threadsModule.defaultWasmThreads();
  if (threads === 1 || !threadsModule.canRunThreadedWasm() || !isTfjsWasmFactory()) {
    await setBackendOrThrow('wasm');
    return undefined;
  }
  const restore = threadsModule.registerThreadedWasm(threads);
  try {
    await setBackendOrThrow('wasm');
    return undefined;
  } catch (error) {
    restore();
    await setBackendOrThrow('wasm');
    return `threaded wasm failed to start (${messageOf(error)}), running single-threaded`;
  }
}

// Threads replace only the factory tfjs-backend-wasm registers itself, never one an application put there.
function isTfjsWasmFactory(): boolean {
  return /\bnew BackendWasm\(/.test(String(tf.findBackendFactory('wasm')));
}

async function threadsOf(name: BackendName): Promise<number | undefined> {
  if (name !== 'wasm') return undefined;
  if (!isNode) return undefined;
  return (await import('./wasm-threads-node.js')).wasmThreadsInUse();
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
export async function useBackend(
  request: BackendRequest = 'auto',
  options: UseBackendOptions = {},
): Promise<BackendChoice> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new Error(
      `useBackend: unknown backend "${request}", expected one of ${BACKEND_REQUESTS.join(', ')}`,
    );
  }
  if (request !== 'auto') {
    let note: string | undefined;
    try {
      note = await start(request, options);
    } catch (error) {
      throw new Error(`useBackend: the ${request} backend failed to start: ${messageOf(error)}`);
    }
    const reason = note ? `requested explicitly; ${note}` : 'requested explicitly';
    return withThreads({ name: request, reason, failed: [] });
  }
  const failed: BackendChoice['failed'] = [];
  for (const name of AUTO_ORDER) {
    try {
      const note = await start(name, options);
      let reason =
        failed.length === 0
          ? `auto: ${name} is the fastest backend available`
          : `auto: fell back to ${name} after ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}`;
      if (note) reason += `; ${note}`;
      return withThreads({ name, reason, failed });
    } catch (error) {
      failed.push({ name, error: messageOf(error) });
    }
  }
  throw new Error(
    `useBackend: no backend could start: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
  );
}

async function withThreads(choice: BackendChoice): Promise<BackendChoice> {
  const threads = await threadsOf(choice.name);
  return threads === undefined ? choice : { ...choice, threads };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
