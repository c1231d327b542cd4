// Multi-threaded wasm in Node.
//
// tfjs-backend-wasm ships a threaded SIMD build (XNNPACK on a pthreadpool of Web Workers) but never uses it in
// Node: its feature flag says "no threads" there, and its loader creates each worker from a `blob:` URL, which
// Node's Worker rejects (ERR_WORKER_PATH). Emscripten's worker script itself runs fine under worker_threads
// when it is a file on disk, so this module registers a replacement factory for the 'wasm' backend that:
//   1. writes the worker script (a string inside tfjs-backend-wasm) once to a file in the OS temp folder,
//   2. starts the threaded module with that file as the worker and the module's own file as the script each
//      worker loads,
//   3. makes the module see `2 * threads` logical cores while it starts (tfjs halves the logical core count,
//      assuming hyper-threading, and never uses more threads than that half),
//   4. unrefs the pool's workers so they do not keep the process alive.
// Kernels are registered per backend name, so every wasm kernel (ours included) runs unchanged on it.
// Measured here (2 cores): a [2048, 768]·[768, 288] matMul at 28 GFLOP/s on one thread, 55 on two.

// Namespace imports only: a browser bundler replaces node: modules with empty stand-ins, and named imports from
// those fail the build even though this module only ever loads under Node (use-backend imports it lazily).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

/** The emscripten module object as far as this file touches it. */
interface ThreadedWasmModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { unusedWorkers: { unref(): void }[]; runningWorkers: { unref(): void }[] };
  tfjs?: Record<string, (...args: number[]) => number>;
}
type ThreadedWasmFactory = (config: {
  locateFile: (file: string, prefix: string) => string;
  mainScriptUrlOrBlob: string;
}) => Promise<ThreadedWasmModule>;

// tfjs pre-creates 8 workers and caps its pool there.
export const MAX_WASM_THREADS = 8;

/**
 * The number of threads `useBackend` gives wasm in Node by default: MINI_LLAMA_WASM_THREADS when set (test
 * runners that start one process per core set it to 1: XNNPACK's threads spin while they wait, so processes
 * that together ask for more threads than there are cores slow each other down many times over), otherwise
 * one per core the OS offers, at most 8 — or 1 for generation (`forGeneration`): decoding one token is a few
 * hundred tiny products, where waking the pool costs more than it saves (stories260K decoded at 707 tokens/s on
 * one thread and 397 on two, docs/performance.md).
 */
export function defaultWasmThreads(forGeneration = false): number {
  const fromEnvironment = process.env.MINI_LLAMA_WASM_THREADS;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    const threads = Number(fromEnvironment);
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
      throw new Error(
        `MINI_LLAMA_WASM_THREADS must be an integer from 1 to ${MAX_WASM_THREADS}, got '${fromEnvironment}'`,
      );
    }
    return threads;
  }
  if (forGeneration) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_WASM_THREADS, cores));
}

/** True where this module can work: Node with shared WebAssembly memory. */
export function canRunThreadedWasm(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof process?.versions?.node === 'string';
}

function wasmPackageFolder(): string {
  const require = nodeModule.createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

// The worker script is a template string in tfjs-backend-wasm; tfjs escapes its newlines the same way before
// turning it into a blob. The file name carries a hash of the content, so versions never mix.
function workerScriptFile(wasmFolder: string): string {
  const require = nodeModule.createRequire(import.meta.url);
  const { wasmWorkerContents } = require(
    path.join(wasmFolder, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as { wasmWorkerContents: string };
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = crypto.createHash('sha256').update(script).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `mini-llama-tfjs-wasm-worker-${hash}.cjs`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, script);
    fs.renameSync(partial, file); // atomic: a concurrent process sees the whole file or none
  }
  return file;
}

/** Starts the threaded wasm module with `threads` XNNPACK threads. */
async function startThreadedModule(threads: number): Promise<ThreadedWasmModule> {
  const wasmFolder = wasmPackageFolder();
  const mainScript = path.join(wasmFolder, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const binary = path.join(wasmFolder, 'dist/tfjs-backend-wasm-threaded-simd.wasm');
  const workerScript = workerScriptFile(wasmFolder);
  const require = nodeModule.createRequire(import.meta.url);
  const loaded = require(mainScript) as ThreadedWasmFactory | { default: ThreadedWasmFactory };
  const factory = typeof loaded === 'function' ? loaded : loaded.default;

  const realCpus = os.cpus;
  const osModule = require('node:os') as typeof os; // the object the emscripten module's require('os') returns
  osModule.cpus = () => {
    const one = realCpus()[0];
    return one ? Array.from({ length: 2 * threads }, () => one) : realCpus();
  };
  let module: ThreadedWasmModule;
  try {
    module = await factory({
      locateFile: (file, prefix) => {
        if (file.endsWith('.worker.js')) return workerScript;
        if (file.endsWith('.wasm')) return binary;
        return prefix + file;
      },
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    osModule.cpus = realCpus;
  }
  // The same C entry points tfjs's own loader wraps (tfjs-backend-wasm/dist/backend_wasm.js, init()).
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

// The pool's workers must not keep a finished program alive. Done after the thread pool started: attaching
// message listeners to a worker refs it again.
function unrefWorkers(module: ThreadedWasmModule): void {
  for (const worker of [
    ...(module.PThread?.unusedWorkers ?? []),
    ...(module.PThread?.runningWorkers ?? []),
  ]) {
    worker.unref();
  }
}

/**
 * Replaces the registered 'wasm' backend factory with one that starts tfjs's threaded SIMD build on
 * `threads` threads, and returns a function that puts the original factory back (for a fallback when the
 * threaded start fails). Call before the wasm backend is first initialised.
 */
export function registerThreadedWasm(threads: number): () => void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  const original = tf.findBackendFactory('wasm');
  if (!original) throw new Error('the wasm backend is not registered (import @tensorflow/tfjs-backend-wasm)');
  tf.removeBackend('wasm');
  setThreadsCount(threads);
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await startThreadedModule(threads);
      const backend = new BackendWasm(module as never); // starts the XNNPACK thread pool
      unrefWorkers(module);
      return backend;
    },
    2,
  );
  return () => {
    tf.removeBackend('wasm');
    setThreadsCount(-1);
    tf.registerBackend('wasm', original, 2);
  };
}

/** The number of threads the running wasm backend's XNNPACK pool uses. */
export function wasmThreadsInUse(): number {
  const backend = tf.findBackend('wasm') as { wasm?: { tfjs?: { getThreadsCount?: () => number } } } | null;
  return backend?.wasm?.tfjs?.getThreadsCount?.() ?? 1;
}
