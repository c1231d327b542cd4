import * as tf from '@tensorflow/tfjs-core';
import { registerFastWasmSlices } from './wasm-slice-kernels.js';
import { reportLogicalCores } from './wasm-threads-browser.js';
import { importModule, type ModuleImporter } from './webgpu-node.js';

export type BackendName = 'cpu' | 'wasm' | 'webgpu' | 'tensorflow';
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  /** The backend tfjs now runs on. */
  name: BackendName;
  /** Why it was chosen, in words a person can read in a log. */
  reason: string;
  /** Backends tried before it that were available but failed to start, with their errors. */
  failed: { name: BackendName; error: string }[];
  /** Faster backends `auto` passed over because they are not available here (not installed, no GPU). */
  skipped?: { name: BackendName; reason: string }[];
  /** For wasm: how many threads its XNNPACK pool runs on (1 = single-threaded). */
  threads?: number;
  /** For webgpu: the adapter, e.g. "nvidia ampere" or "google swiftshader SwiftShader driver 5.0.0". */
  adapter?: string;
  /** For tensorflow: the package that provides it (@tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node). */
  provider?: string;
}

/** The binaries tfjs-backend-wasm fetches (one of them, by what the platform supports). */
export type WasmBinaryName =
  | 'tfjs-backend-wasm.wasm'
  | 'tfjs-backend-wasm-simd.wasm'
  | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface UseBackendOptions {
  /**
   * Threads for the wasm backend in Node (default: MINI_LLAMA_WASM_THREADS, else one per core, at most 8, or 1 for
   * the 'generate' workload; 1 = tfjs's single-threaded build).
   * In the browser it is given to tfjs (`setThreadsCount`, past its cap of half the logical cores; default:
   * tfjs's own, that half), which runs threads only on a cross-origin-isolated page (COOP same-origin, COEP
   * require-corp); `threads` in the choice says how many it runs.
   */
  wasmThreads?: number;
  /**
   * How optional packages (`webgpu`, `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`) are imported.
   * Default: a dynamic `import()`. Tests replace it with a fake module.
   */
  importModule?: ModuleImporter;
  /**
   * Where tfjs-backend-wasm's binaries are served, given to its `setWasmPaths` before wasm first starts: a URL
   * prefix ending in '/', or a URL for each of the three files ('tfjs-backend-wasm.wasm',
   * 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'). A browser app needs it when its bundler does not serve them beside
   * the script (Vite: import each with `?url`). Node finds the package's own files without it (its threaded
   * start always does).
   */
  wasmPaths?: string | Record<WasmBinaryName, string>;
  /**
   * What `auto` chooses for (default 'any'). 'generate': token-by-token decoding of batch 1, where each step is
   * a few hundred tiny kernels and the fixed cost of each decides: in Node, auto then tries wasm before
   * tensorflow (tfjs-node spends ~25 µs per op; it decoded stories260K at 95.6 tokens/s where wasm
   * made 1484.8 in one bench run, docs/performance.md), and wasm defaults to one thread. An explicit request ignores the order.
   */
  workload?: 'any' | 'generate';
}

/** Backend names accepted by `useBackend`, for argument validation. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

// The order `auto` tries, fastest first. In Node: TensorFlow's C library when the user installed tfjs-node(-gpu),
// then WebGPU through Dawn when a hardware adapter exists, then wasm (SIMD, threads), then the pure-JS cpu
// backend (~0.6 GFLOP/s). In the browser: WebGPU, wasm, cpu.
export const AUTO_ORDER: readonly BackendName[] = isNode
  ? ['tensorflow', 'webgpu', 'wasm', 'cpu']
  : ['webgpu', 'wasm', 'cpu'];
// For generation (see UseBackendOptions.workload): tensorflow after wasm.
const AUTO_ORDER_GENERATE: readonly BackendName[] = isNode
  ? ['webgpu', 'wasm', 'tensorflow', 'cpu']
  : AUTO_ORDER;

/** A backend that cannot be used here at all (as opposed to one that failed while starting). */
class Unavailable extends Error {}

/** What `start` learnt about the backend it started, for the choice it returns. */
type StartNotes = Pick<BackendChoice, 'threads' | 'adapter' | 'provider'> & { note?: string };

async function registerBackend(name: BackendName, options: InternalOptions): Promise<StartNotes> {
  const load = options.importModule ?? importModule;
  if (name === 'tensorflow') {
    if (tf.findBackendFactory('tensorflow')) return {};
    const { registerTensorflowBackend } = await import('./tensorflow-node.js');
    try {
      return { provider: await registerTensorflowBackend(load) };
    } catch (error) {
      throw new Unavailable(messageOf(error));
    }
  }
  if (name === 'webgpu') {
    let adapter: string | undefined;
    if (isNode) {
      const { installNodeWebGpu, probeNodeWebGpu } = await import('./webgpu-node.js');
      const alreadyInstalled = Boolean((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu);
      try {
        // auto looks first from a child process (see probeNodeWebGpu), unless a test supplies the module
        if (!options.requestedExplicitly && !alreadyInstalled && !options.importModule) {
          const probed = await probeNodeWebGpu();
          if (probed.isFallbackAdapter) {
            throw new Error(`only a software adapter (${probed.description}), slower than wasm`);
          }
        }
        const summary = await installNodeWebGpu(load);
        if (summary.isFallbackAdapter && !options.requestedExplicitly) {
          throw new Error(`only a software adapter (${summary.description}), slower than wasm`);
        }
        adapter = summary.description;
      } catch (error) {
        throw new Unavailable(messageOf(error));
      }
    } else if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
      throw new Unavailable('this browser has no navigator.gpu');
    }
    if (!tf.findBackendFactory('webgpu')) await import('@tensorflow/tfjs-backend-webgpu');
    return { adapter };
  }
  if (tf.findBackendFactory(name)) return {};
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else {
    await import('@tensorflow/tfjs-backend-wasm');
    registerFastWasmSlices();
  }
  return {};
}

interface InternalOptions extends UseBackendOptions {
  requestedExplicitly?: boolean;
}

async function start(name: BackendName, options: InternalOptions): Promise<StartNotes> {
  const notes = await registerBackend(name, options);
  if (name === 'wasm') return { ...notes, ...(await startWasm(options)) };
  if (tf.getBackend() !== name) await setBackendOrThrow(name);
  if (name === 'cpu') silenceNodeAdvice();
  return notes;
}

async function setBackendOrThrow(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
}

// In Node, wasm starts on several threads when it can (./wasm-threads-node.ts); if the threaded start fails,
// it falls back to the single-threaded build and says why.
async function startWasm(options: UseBackendOptions): Promise<StartNotes> {
  const asked = options.wasmThreads;
  if (isInitialised('wasm')) {
    // already initialised once: the thread count and the binaries are fixed
    if (tf.getBackend() !== 'wasm') await setBackendOrThrow('wasm');
    const running = await threadsOf();
    const notes = [
      asked !== undefined && running !== undefined && asked !== running
        ? `already running on ${running} threads: wasmThreads applies only before wasm first starts`
        : null,
      options.wasmPaths !== undefined
        ? 'already started: wasmPaths applies only before wasm first starts'
        : null,
    ].filter((note): note is string => note !== null);
    return { threads: running, note: notes.length > 0 ? notes.join('; ') : undefined };
  }
  if (options.wasmPaths !== undefined) {
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(options.wasmPaths);
  }
  if (!isNode) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    let restore = () => {};
    if (asked !== undefined) {
      wasm.setThreadsCount(asked);
      restore = reportLogicalCores(2 * asked);
    }
    try {
      await setBackendOrThrow('wasm');
    } finally {
      restore();
    }
    return { threads: wasm.getThreadsCount() };
  }
  const threadsModule = await import('./wasm-threads-node.js');
  const threads = asked ?? threadsModule.defaultWasmThreads(options.workload === 'generate');
  if (threads === 1 || !threadsModule.canRunThreadedWasm() || !isTfjsWasmFactory()) {
    await setBackendOrThrow('wasm');
    return { threads: await threadsOf() };
  }
  const restore = threadsModule.registerThreadedWasm(threads);
  try {
    await setBackendOrThrow('wasm');
    return { threads: await threadsOf() };
  } catch (error) {
    restore();
    await setBackendOrThrow('wasm');
    return {
      threads: await threadsOf(),
      note: `threaded wasm failed to start (${messageOf(error)}), running single-threaded`,
    };
  }
}

/**
 * Whether tfjs has initialised a backend, without initialising it: `tf.findBackend` would start a registered
 * backend's (asynchronous) initialisation as a side effect — for wasm, loading its binary before threads or
 * wasmPaths are set up.
 */
function isInitialised(name: BackendName): boolean {
  const registry = (tf.engine() as unknown as { registry?: Record<string, unknown> }).registry;
  return registry ? registry[name] !== undefined : tf.findBackend(name) !== null;
}

// Threads replace only the factory tfjs-backend-wasm registers itself, never one an application put there.
function isTfjsWasmFactory(): boolean {
  return /\bnew BackendWasm\(/.test(String(tf.findBackendFactory('wasm')));
}

async function threadsOf(): Promise<number | undefined> {
  if (!isNode) return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  return (await import('./wasm-threads-node.js')).wasmThreadsInUse();
}

// The cpu backend prints a banner recommending tfjs-node on its first write in Node. mini-llama reports its
// backend choice itself (and tfjs-node cannot be installed everywhere), so the banner is switched off.
function silenceNodeAdvice(): void {
  const backend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (backend && 'firstUse' in backend) backend.firstUse = false;
}

function describe(
  name: BackendName,
  notes: StartNotes,
): Omit<BackendChoice, 'reason' | 'failed' | 'skipped'> {
  const choice: Omit<BackendChoice, 'reason' | 'failed' | 'skipped'> = { name };
  if (notes.threads !== undefined) choice.threads = notes.threads;
  if (notes.adapter !== undefined) choice.adapter = notes.adapter;
  if (notes.provider !== undefined) choice.provider = notes.provider;
  return choice;
}

/**
 * Selects and initialises a TensorFlow.js backend. An explicit request that fails throws with the reason;
 * `auto` tries the fastest backend first, passes over those not available here (listed in `skipped`) and
 * reports any that failed to start before the one it chose (`failed`), so a fallback is never silent.
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
    let notes: StartNotes;
    try {
      notes = await start(request, { ...options, requestedExplicitly: true });
    } catch (error) {
      throw new Error(`useBackend: the ${request} backend failed to start: ${messageOf(error)}`);
    }
    const reason = notes.note ? `requested explicitly; ${notes.note}` : 'requested explicitly';
    return { ...describe(request, notes), reason, failed: [] };
  }
  const failed: BackendChoice['failed'] = [];
  const skipped: NonNullable<BackendChoice['skipped']> = [];
  const generating = options.workload === 'generate';
  for (const name of generating ? AUTO_ORDER_GENERATE : AUTO_ORDER) {
    let notes: StartNotes;
    try {
      notes = await start(name, options);
    } catch (error) {
      if (error instanceof Unavailable) skipped.push({ name, reason: error.message });
      else failed.push({ name, error: messageOf(error) });
      continue;
    }
    let reason =
      failed.length === 0
        ? `auto: ${name} is the fastest backend available${generating ? ' for generation' : ''}`
        : `auto: fell back to ${name} after ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}`;
    if (notes.note) reason += `; ${notes.note}`;
    return { ...describe(name, notes), reason, failed, skipped };
  }
  throw new Error(
    `useBackend: no backend could start: ${[
      ...skipped.map((s) => `${s.name}: ${s.reason}`),
      ...failed.map((f) => `${f.name}: ${f.error}`),
    ].join('; ')}`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
