import { FUSED, type KvWriteAttrs } from '../fused-kernel-names.js';
import type { Float32Kernel } from './float32-kernel.js';

// Appending to a KV cache with tf.concat copies everything stored, twice per layer and token (two kernels,
// O(length) each). Written in place into buffers with spare room, an append is one kernel that copies only
// the new positions. It is the one kernel here that writes to its inputs: it may only be given buffers that
// nothing else reads (LayerKvCache's own), and it writes only from `offset` on, so a view of the positions
// before it (a cpu slice may share memory) keeps its values. `appendToCache`'s concatenation (../kv-cache.ts) is the reference.
export const kvWriteKernel: Float32Kernel<KvWriteAttrs> = {
  kernelName: FUSED.kvWrite,
  inputNames: ['keyBuffer', 'valueBuffer', 'keys', 'values'],
  outputShapes: ([bufferShape, valueBufferShape, keysShape, valuesShape], { offset }) => {
    const [B, nKv, room, headDim] = bufferShape as [number, number, number, number];
    const fits = (shape: number[] | undefined, length: number) =>
      shape?.length === 4 &&
      shape[0] === B &&
      shape[1] === nKv &&
      shape[2] === length &&
      shape[3] === headDim;
    const T = keysShape?.[2] ?? 0;
    if (!fits(valueBufferShape, room) || !fits(keysShape, T) || !fits(valuesShape, T) || offset + T > room) {
      throw new Error(
        `${FUSED.kvWrite}: keys [${keysShape}] and values [${valuesShape}] at ${offset} do not fit buffers [${bufferShape}], [${valueBufferShape}]`,
      );
    }
    return []; // the buffers are the result
  },
  compute([keyBuffer, valueBuffer, keys, values], _outputs, { offset }) {
    const [B, nKv, room, headDim] = keyBuffer!.shape as [number, number, number, number];
    const T = keys!.shape[2]!;
    for (let head = 0; head < B * nKv; head++) {
      const from = head * T * headDim; // [B·nKv, T, hd] rows of this head
      const to = (head * room + offset) * headDim; // [B·nKv, room, hd]
      keyBuffer!.values.set(keys!.values.subarray(from, from + T * headDim), to);
      valueBuffer!.values.set(values!.values.subarray(from, from + T * headDim), to);
    }
  },
};
