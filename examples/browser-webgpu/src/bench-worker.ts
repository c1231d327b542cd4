// The bench page's worker: starts wasm (threads where the page is cross-origin isolated) and measures a model
// shape with @mini-llama/bench's measureShape, the same steps `mini-llama bench` times in Node.
import { useBackend } from '@mini-llama/backends';
import { measureShape } from '@mini-llama/bench';
import { presetConfig, registerFusedKernels } from '@mini-llama/model';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BenchRequest, BenchWorkerMessage } from './bench-protocol.js';
import { messageOf } from './error-message.js';

interface WorkerScope {
  crossOriginIsolated?: boolean;
  postMessage(message: BenchWorkerMessage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<BenchRequest>) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
};

async function run(request: BenchRequest): Promise<void> {
  const choice = await useBackend('wasm', {
    wasmPaths: WASM_PATHS,
    ...(request.threads !== null ? { wasmThreads: request.threads } : {}),
  });
  registerFusedKernels();
  const threads = choice.threads ?? null;
  scope.postMessage({ type: 'status', text: `wasm on ${threads ?? '?'} thread(s)` });
  const rows = await measureShape({
    name: request.preset,
    config: presetConfig(request.preset),
    modes: request.modes,
    batch: request.batch,
    seqLen: request.seqLen,
    seconds: request.seconds,
    backend: { name: 'wasm', threads },
    onMessage: (text) => scope.postMessage({ type: 'status', text }),
  });
  scope.postMessage({ type: 'done', rows, threads, crossOriginIsolated: scope.crossOriginIsolated === true });
}

scope.addEventListener('message', (event) => {
  run(event.data).catch((error: unknown) => scope.postMessage({ type: 'error', message: messageOf(error) }));
});
