import { type LlamaConfig, parameterCount } from '@mini-llama/formats';

/** The most memory tfjs's wasm backend can address: a 32-bit WebAssembly heap. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * Why `backend` cannot hold a model of this config, or null. The weights alone, in float32, must fit the
 * backend's memory: the wasm backend's heap is 32-bit (4 GiB), so a TinyLlama- or Llama-3.2-1B-sized model is
 * refused there before a byte of its weights is read, rather than failing deep inside a kernel.
 */
export function backendCapacityProblem(config: LlamaConfig, backend: string): string | null {
  if (backend !== 'wasm') return null;
  const bytes = parameterCount(config) * 4;
  if (bytes <= WASM_HEAP_BYTES) return null;
  const gib = (value: number) => `${(value / 1024 ** 3).toFixed(1)} GiB`;
  return `${parameterCount(config).toLocaleString('en-US')} parameters need ${gib(bytes)} in float32, more than the ${gib(WASM_HEAP_BYTES)} the wasm backend can address: use the tensorflow backend (Node) or webgpu`;
}
