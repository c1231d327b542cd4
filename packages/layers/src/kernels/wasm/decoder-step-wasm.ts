import type { DecoderStepAttrs } from '../../fused-kernel-names.js';
import type { HeapTensor, WasmHeap } from '../float32-kernel.js';
import { DECODER_STEP_BINARY } from './decoder-step-binary.js';
import { WasmKernelModule } from './wasm-module.js';

// The whole-layer decoding kernel (../decoder-step.ts) in WebAssembly SIMD (./decoder-step.c): the same steps,
// its inputs read in place in tfjs-backend-wasm's heap.

type DecoderStepFunction = (...args: number[]) => void;
const decoderStepModule = new WasmKernelModule<{ decoder_step: DecoderStepFunction }>(DECODER_STEP_BINARY);

/** Whether the module compiles here (WebAssembly with SIMD, and synchronous compiling allowed). */
export function decoderStepCompiles(): boolean {
  return decoderStepModule.compiles();
}

/**
 * Runs one decoder layer in the wasm module (inputs in ../decoder-step.ts's order, already checked by its
 * outputShapes); false where the module cannot run here, so the JavaScript kernel does.
 */
export function decoderStepInWasm(
  heap: WasmHeap,
  inputs: (HeapTensor | undefined)[],
  [out]: number[],
  { nHeads, nKvHeads, eps, offset }: DecoderStepAttrs,
): boolean {
  const instantiated = decoderStepModule.instance(heap);
  if (!instantiated) return false;
  const [h, , , , , , , wGate, , , keys, , cos, , mask] = inputs;
  const [B, dim] = h!.shape as [number, number];
  const [, , room, headDim] = keys!.shape as [number, number, number, number];
  const hidden = wGate!.shape[1]!;
  const pointers = [out!, ...inputs.map((input) => input?.pointer ?? 0)]; // 0: no mask
  const floats = 2 * dim + 3 * nHeads * headDim + 2 * nKvHeads * headDim + 2 * hidden + room;
  const scratch = decoderStepModule.scratch(heap, instantiated, 4 * floats);
  instantiated.exports.decoder_step(
    ...pointers,
    scratch,
    B,
    dim,
    nHeads,
    nKvHeads,
    headDim,
    hidden,
    room,
    offset,
    cos!.shape[0]!,
    mask?.shape[0] ?? 1,
    eps,
  );
  return true;
}
