// The training runs here, off the page's thread, so the page stays responsive while tfjs works.
import { type BackendChoice, type BackendRequest, useBackend } from '@mini-llama/backends';
import { registerFusedKernels } from '@mini-llama/model';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-store.js';
import { messageOf } from './error-message.js';
import { runHubSession } from './hub-session.js';
import type { PageMessage, WorkerMessage } from './protocol.js';
import { runSession } from './training-session.js';

/** The parts of the worker's global scope used here (the DOM typings, which the page needs, lack them). */
interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageMessage>) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
}
interface NavigatorWithGpu {
  gpu?: { requestAdapter(): Promise<{ info?: GpuAdapterInfo } | null> };
}

// A bundler does not ship tfjs-backend-wasm's binaries by itself: Vite emits them as assets and useBackend
// tells the backend their URLs. (Threads would also need a cross-origin isolated page; without it tfjs runs
// one thread.)
const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
};

function post(message: WorkerMessage): void {
  scope.postMessage(message);
}

/**
 * useBackend with the fused inference kernels (sampling on wasm decodes faster with them), plus the name of the
 * WebGPU adapter (useBackend reports it in Node only).
 */
async function startBackend(request: BackendRequest): Promise<BackendChoice> {
  const choice = await useBackend(request, { wasmPaths: WASM_PATHS });
  registerFusedKernels();
  if (choice.name === 'webgpu' && choice.adapter === undefined) {
    const adapter = await (navigator as NavigatorWithGpu).gpu?.requestAdapter();
    const info = adapter?.info;
    if (info) {
      choice.adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
    }
  }
  return choice;
}

scope.addEventListener('unhandledrejection', (event) => {
  post({ type: 'error', message: `unhandled: ${messageOf(event.reason)}` });
});

scope.addEventListener('message', (event) => {
  if (event.data.type !== 'start') return;
  // ?model=hf:ORG/NAME fine-tunes that checkpoint; otherwise a small model is pretrained here first.
  const session = event.data.options.model ? runHubSession : runSession;
  session(event.data.options, { post, startBackend, loadCheckpoint, saveCheckpoint }).catch(
    (error: unknown) => post({ type: 'error', message: messageOf(error) }),
  );
});
