import * as tf from '@tensorflow/tfjs-core';

// The fused inference kernels (this folder) are plain loops over float32 arrays, registered as tfjs kernels
// for the backends whose tensors live in memory JavaScript can read without a copy: wasm (the module's heap)
// and cpu (typed arrays). The backends' internals are duck-typed here: this package depends on tfjs-core only.

/** What a float32 kernel uses of tfjs-backend-wasm's BackendWasm. */
interface WasmMemory {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** A tensor's byte offset in the heap. */
  getMemoryOffset?(dataId: tf.DataId): number;
  /** The Emscripten module: its memory is `asm.memory` (one thread) or `wasmMemory` (the threaded build). */
  wasm?: {
    asm?: { memory?: WasmMemoryObject };
    wasmMemory?: WasmMemoryObject;
    _malloc?(bytes: number): number;
    _free?(pointer: number): void;
  };
}

/**
 * What is used here of a `WebAssembly.Memory` (typed locally: this package's types assume neither the DOM's
 * nor a Node version's declarations of WebAssembly).
 */
export interface WasmMemoryObject {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/**
 * tfjs-backend-wasm's heap, for kernels compiled to WebAssembly that run in it (./wasm): they import this
 * memory, read their inputs where the backend keeps them (HeapTensor), and keep their scratch in blocks
 * `malloc` hands out.
 */
export interface WasmHeap {
  memory: WasmMemoryObject;
  malloc(bytes: number): number;
  free(pointer: number): void;
}

/** What a float32 kernel uses of tfjs-backend-cpu's MathBackendCPU. */
interface CpuMemory {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** A float32 tensor in tfjs-backend-wasm's heap: its byte offset there and its shape. */
export interface HeapTensor {
  pointer: number;
  shape: number[];
}

/**
 * One input of a float32 kernel: its values (a view of the tensor's memory, not a copy: never write to it, but
 * for the one kernel made to, fused-kv-write.ts) and its shape.
 */
export interface Float32Input {
  values: Float32Array;
  shape: number[];
}

export interface Float32Kernel<Attrs> {
  kernelName: string;
  /** Names of the inputs, in the order `compute` receives them; an input a call does not pass is undefined. */
  inputNames: readonly string[];
  /** The shapes of the outputs, from the inputs' shapes. */
  outputShapes(inputShapes: (number[] | undefined)[], attrs: Attrs): number[][];
  /** Writes every element of every output. */
  compute(inputs: (Float32Input | undefined)[], outputs: Float32Array[], attrs: Attrs): void;
  /**
   * On wasm, a faster `compute` that runs inside the backend's heap (outputs: their byte offsets there); it
   * returns false where it cannot run (its module did not compile here), and `compute` runs instead.
   */
  computeInWasm?(
    heap: WasmHeap,
    inputs: (HeapTensor | undefined)[],
    outputs: number[],
    attrs: Attrs,
  ): boolean;
}

/** The backends a float32 kernel can run on: they keep tensors in memory JavaScript reads in place. */
export type Float32Backend = 'wasm' | 'cpu';

/**
 * Registers `kernel` for each backend (once: a second registration, say from a second copy of this module, is
 * skipped). It then runs through `tf.engine().runKernel(kernel.kernelName, inputs, attrs)`, which returns an
 * array of tensors, one per output shape (for a single output too).
 */
export function registerFloat32Kernel<Attrs>(
  kernel: Float32Kernel<Attrs>,
  backends: readonly Float32Backend[],
): void {
  for (const backendName of backends) {
    if (tf.getKernel(kernel.kernelName, backendName)) continue;
    const kernelFunc = ({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]) => {
      const infos = kernel.inputNames.map((name) => inputs[name] as tf.TensorInfo | undefined);
      for (const [i, info] of infos.entries()) {
        if (info && info.dtype !== 'float32') {
          throw new Error(
            `${kernel.kernelName}: input ${kernel.inputNames[i]} has dtype ${info.dtype}, expected float32`,
          );
        }
      }
      const typedAttrs = attrs as unknown as Attrs;
      const shapes = kernel.outputShapes(
        infos.map((info) => info?.shape),
        typedAttrs,
      );
      return backendName === 'wasm'
        ? runOnWasmHeap(kernel, backend as unknown as WasmMemory, infos, shapes, typedAttrs)
        : runOnCpuArrays(kernel, backend as unknown as CpuMemory, infos, shapes, typedAttrs);
    };
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName,
      kernelFunc: kernelFunc as tf.KernelFunc,
    });
  }
}

function runOnWasmHeap<Attrs>(
  kernel: Float32Kernel<Attrs>,
  backend: WasmMemory,
  infos: (tf.TensorInfo | undefined)[],
  shapes: number[][],
  attrs: Attrs,
): tf.TensorInfo[] {
  const outputs = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
  const heap = kernel.computeInWasm && backend.getMemoryOffset ? wasmHeapOf(backend) : null;
  if (heap) {
    const at = (info: tf.TensorInfo) => backend.getMemoryOffset!(info.dataId);
    const inputs = infos.map((info) => info && { pointer: at(info), shape: info.shape });
    if (kernel.computeInWasm!(heap, inputs, outputs.map(at), attrs)) return outputs;
  }
  // Views are taken after every allocation: an allocation may grow (and so replace) the heap's buffer.
  const heapView = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
  kernel.compute(
    infos.map((info) => info && { values: heapView(info), shape: info.shape }),
    outputs.map(heapView),
    attrs,
  );
  return outputs;
}

const heaps = new WeakMap<object, WasmHeap | null>();

/** The backend's heap, or null where this build of tfjs-backend-wasm does not show its memory and allocator. */
export function wasmHeapOf(backend: WasmMemory): WasmHeap | null {
  const module = backend.wasm;
  if (!module) return null;
  if (!heaps.has(module)) {
    const memory = module.wasmMemory ?? module.asm?.memory;
    const { _malloc: malloc, _free: free } = module;
    heaps.set(
      module,
      memory?.buffer && malloc && free
        ? {
            memory,
            malloc: (bytes) => malloc.call(module, bytes),
            free: (pointer) => free.call(module, pointer),
          }
        : null,
    );
  }
  return heaps.get(module)!;
}

function runOnCpuArrays<Attrs>(
  kernel: Float32Kernel<Attrs>,
  backend: CpuMemory,
  infos: (tf.TensorInfo | undefined)[],
  shapes: number[][],
  attrs: Attrs,
): tf.TensorInfo[] {
  const outputs = shapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
  const view = (info: tf.TensorInfo): Float32Input => {
    const values = backend.data.get(info.dataId)?.values;
    if (!(values instanceof Float32Array))
      throw new Error(`${kernel.kernelName}: an input has no float32 values`);
    return { values, shape: info.shape };
  };
  kernel.compute(
    infos.map((info) => info && view(info)),
    outputs,
    attrs,
  );
  return outputs.map((values, i) => backend.makeTensorInfo(shapes[i]!, 'float32', values));
}
