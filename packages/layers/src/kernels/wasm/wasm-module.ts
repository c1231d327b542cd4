import type { WasmHeap, WasmMemoryObject } from '../float32-kernel.js';

// A kernel compiled to WebAssembly (./*.c, by scripts/build-wasm.sh) runs in tfjs-backend-wasm's own memory: it
// imports that memory rather than owning one, so its inputs are read where the backend keeps them. It comes in
// two builds, as the memory is a plain one (tfjs's single-threaded build) or a shared one (the threaded build);
// an import must match the memory's kind.

/** What is used here of the global `WebAssembly` (typed locally, as WasmMemoryObject is). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: { env: { memory: WasmMemoryObject } }) => { exports: unknown };
}

/** A kernel's two builds, base64-encoded (./*-binary.ts, written by scripts/build-wasm.sh). */
export interface WasmKernelBinary {
  plain: string;
  shared: string;
}

interface Instantiated<Exports> {
  exports: Exports;
  scratch: { pointer: number; bytes: number };
}

/**
 * A kernel's module instantiated once per heap (`instance(heap)`), with a scratch block of the heap it grows
 * as calls need (`scratch(heap, instantiated, bytes)`). Null from `instance` where WebAssembly cannot compile it here (no
 * SIMD, or a browser's main thread refusing to compile a module synchronously): the kernel's JavaScript runs.
 */
export class WasmKernelModule<Exports> {
  private readonly binary: WasmKernelBinary;
  private readonly compiled: { plain?: object | null; shared?: object | null } = {};
  private readonly instances = new WeakMap<WasmMemoryObject, Instantiated<Exports> | null>();

  constructor(binary: WasmKernelBinary) {
    this.binary = binary;
  }

  /** Whether the plain build compiles here (the shared one is the same code). */
  compiles(): boolean {
    return this.module('plain') !== null;
  }

  instance(heap: WasmHeap): Instantiated<Exports> | null {
    if (!this.instances.has(heap.memory)) {
      const kind =
        typeof SharedArrayBuffer !== 'undefined' && heap.memory.buffer instanceof SharedArrayBuffer
          ? 'shared'
          : 'plain';
      const module = this.module(kind);
      let instantiated: Instantiated<Exports> | null = null;
      if (module) {
        try {
          const instance = new webAssembly!.Instance(module, { env: { memory: heap.memory } });
          instantiated = { exports: instance.exports as Exports, scratch: { pointer: 0, bytes: 0 } };
        } catch {
          instantiated = null; // a memory the import does not fit: the JavaScript kernel runs
        }
      }
      this.instances.set(heap.memory, instantiated);
    }
    return this.instances.get(heap.memory)!;
  }

  /**
   * A block of at least `bytes` in the heap, kept between calls (grown by freeing and allocating). Allocating
   * may grow the heap, which detaches views of a plain memory's old buffer: take byte offsets before this.
   */
  scratch(heap: WasmHeap, instantiated: Instantiated<Exports>, bytes: number): number {
    const block = instantiated.scratch;
    if (block.bytes < bytes) {
      const size = Math.max(bytes, 2 * block.bytes, 4096);
      if (block.bytes > 0) heap.free(block.pointer);
      block.bytes = 0;
      block.pointer = heap.malloc(size);
      if (!block.pointer) throw new Error(`WasmKernelModule: the wasm heap could not allocate ${size} bytes`);
      block.bytes = size;
    }
    return block.pointer;
  }

  private module(kind: 'plain' | 'shared'): object | null {
    if (this.compiled[kind] === undefined) {
      try {
        this.compiled[kind] = webAssembly ? new webAssembly.Module(fromBase64(this.binary[kind])) : null;
      } catch {
        this.compiled[kind] = null;
      }
    }
    return this.compiled[kind]!;
  }
}

const webAssembly = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
