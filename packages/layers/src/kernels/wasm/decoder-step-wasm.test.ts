import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecoderStepAttrs } from '../../fused-kernel-names.js';
import { decoderStepKernel } from '../decoder-step.js';
import { wasmHeapOf } from '../float32-kernel.js';
import { decoderStepCompiles, decoderStepInWasm } from './decoder-step-wasm.js';

// The WebAssembly SIMD build against the JavaScript kernel (whose own reference, the composite layer, is tested
// in packages/model/src/decoder-layer.test.ts), on shapes that leave remainders in every SIMD loop: a width of
// 22 (not a multiple of 4), heads of 6, a hidden width of 37, two rows with their own rotary tables and masks.

/** The global WebAssembly's Memory, typed here (this package's types do not declare WebAssembly). */
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (descriptor: {
        initial: number;
        maximum: number;
        shared: boolean;
      }) => {
        buffer: ArrayBuffer;
        grow(pages: number): number;
      };
    };
  }
).WebAssembly;

const B = 2;
const DIM = 22;
const N_HEADS = 4;
const N_KV = 2;
const HEAD_DIM = 6;
const HIDDEN = 37;
const ROOM = 9;
const OFFSET = 6; // six positions already cached: attention reads seven

function values(size: number, seed: number, scale = 1): Float32Array {
  let state = seed;
  return Float32Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648 - 0.5) * 2 * scale;
  });
}

const shapes: Record<string, number[]> = {
  h: [B, DIM],
  attentionNorm: [DIM],
  wq: [DIM, N_HEADS * HEAD_DIM],
  wk: [DIM, N_KV * HEAD_DIM],
  wv: [DIM, N_KV * HEAD_DIM],
  wo: [N_HEADS * HEAD_DIM, DIM],
  feedForwardNorm: [DIM],
  wGate: [DIM, HIDDEN],
  wUp: [DIM, HIDDEN],
  wDown: [HIDDEN, DIM],
  keyBuffer: [B, N_KV, ROOM, HEAD_DIM],
  valueBuffer: [B, N_KV, ROOM, HEAD_DIM],
  cos: [B, 1, 1, HEAD_DIM],
  sin: [B, 1, 1, HEAD_DIM],
  mask: [B, 1, 1, OFFSET + 1],
};

function inputValues(withMask: boolean): Map<string, Float32Array> {
  const made = new Map<string, Float32Array>();
  decoderStepKernel.inputNames.forEach((name, i) => {
    if (name === 'mask' && !withMask) return;
    const size = shapes[name]!.reduce((a, b) => a * b, 1);
    // gains near 1, angles' cos/sin in [-1, 1], a mask of 0s with row 1's first two positions masked out
    let data = values(size, 17 + i, name.startsWith('w') ? 0.4 : 1.5);
    if (name.endsWith('Norm')) data = data.map((v) => 1 + v / 4);
    if (name === 'mask') data = data.map((_, j) => (j >= OFFSET + 1 && j < OFFSET + 3 ? -1e9 : 0));
    made.set(name, data);
  });
  return made;
}

describe('the whole-layer kernel in WebAssembly SIMD', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('compiles here and runs in the wasm backend’s heap', () => {
    expect(decoderStepCompiles()).toBe(true);
    expect(wasmHeapOf(tf.backend() as never)).not.toBeNull();
  });

  it.each([true, false])('gives the JavaScript kernel’s output and cache writes (mask: %s)', (withMask) => {
    const given = inputValues(withMask);
    const attrs: DecoderStepAttrs = { nHeads: N_HEADS, nKvHeads: N_KV, eps: 1e-5, offset: OFFSET };
    // JavaScript, on copies
    const copies = decoderStepKernel.inputNames.map((name) =>
      given.has(name) ? { values: given.get(name)!.slice(), shape: shapes[name]! } : undefined,
    );
    const expected = new Float32Array(B * DIM);
    decoderStepKernel.compute(copies, [expected], attrs);
    // WebAssembly, on tensors in the heap
    const before = tf.memory().numTensors;
    const tensors = decoderStepKernel.inputNames.map((name) =>
      given.has(name) ? tf.tensor(given.get(name)!, shapes[name]!) : undefined,
    );
    const out = tf.zeros([B, DIM]);
    const backend = tf.backend() as unknown as { getMemoryOffset(dataId: tf.DataId): number };
    const at = (t: tf.Tensor) => backend.getMemoryOffset(t.dataId);
    const heap = wasmHeapOf(tf.backend() as never)!;
    const ran = decoderStepInWasm(
      heap,
      tensors.map((t) => t && { pointer: at(t), shape: t.shape }),
      [at(out)],
      attrs,
    );
    expect(ran).toBe(true);
    const outValues = out.dataSync();
    for (let i = 0; i < expected.length; i++) {
      expect(outValues[i]).toBeCloseTo(expected[i]!, 4);
    }
    for (const cache of [10, 11]) {
      const written = tensors[cache]!.dataSync();
      const js = copies[cache]!.values;
      for (let i = 0; i < js.length; i++) expect(written[i]).toBeCloseTo(js[i]!, 5);
    }
    tf.dispose([...tensors.filter((t): t is tf.Tensor => t !== undefined), out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['plain', 'shared'] as const)('runs its %s build in a memory of that kind', (kind) => {
    const given = inputValues(true);
    const attrs: DecoderStepAttrs = { nHeads: N_HEADS, nKvHeads: N_KV, eps: 1e-5, offset: OFFSET };
    const copies = decoderStepKernel.inputNames.map((name) => ({
      values: given.get(name)!.slice(),
      shape: shapes[name]!,
    }));
    const expected = new Float32Array(B * DIM);
    decoderStepKernel.compute(copies, [expected], attrs);
    // a memory of its own with a bump allocator, the inputs copied in
    const memory = new Memory({ initial: 2, maximum: 64, shared: kind === 'shared' });
    let top = 64;
    const malloc = (bytes: number) => {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
      return at;
    };
    const place = (data: Float32Array) => {
      const at = malloc(data.byteLength);
      new Float32Array(memory.buffer, at, data.length).set(data);
      return at;
    };
    const inputs = decoderStepKernel.inputNames.map((name) => ({
      pointer: place(given.get(name)!),
      shape: shapes[name]!,
    }));
    const out = place(new Float32Array(B * DIM));
    expect(decoderStepInWasm({ memory, malloc, free: () => {} }, inputs, [out], attrs)).toBe(true);
    const result = new Float32Array(memory.buffer, out, B * DIM); // the scratch may have grown it
    for (let i = 0; i < expected.length; i++) expect(result[i]).toBeCloseTo(expected[i]!, 4);
  });
});
