import * as tf from '@tensorflow/tfjs-core';
import { registerFloat32Kernel } from './float32-kernel.js';

/** Name of the kernel that writes new keys and values into a KV cache's buffers in place (wasm and cpu). */
export const FUSED_KV_WRITE = 'MiniLlamaKvWrite';

interface KvWriteAttrs {
  offset: number; // the position the first new one is written to
}

// Appending to a KV cache with tf.concat copies everything stored, twice per layer and token (two kernels,
// O(length) each). Written in place into buffers with spare room, an append is one kernel that copies only
// the new positions. It is the one kernel here that writes to its inputs: it may only be given buffers that
// nothing else reads (LayerKvCache's own), and it writes only from `offset` on, so a view of the positions
// before it (a cpu slice may share memory) keeps its values. LayerKvCache.append's concat is the reference.
registerFloat32Kernel<KvWriteAttrs>({
  kernelName: FUSED_KV_WRITE,
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
        `${FUSED_KV_WRITE}: keys [${keysShape}] and values [${valuesShape}] at ${offset} do not fit buffers [${bufferShape}], [${valueBufferShape}]`,
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
});

/**
 * Writes keys and values [B, nKv, T, hd] into keyBuffer and valueBuffer [B, nKv, room, hd] at positions
 * offset … offset + T − 1, in place. No gradient.
 */
export function fusedKvWrite(
  keyBuffer: tf.Tensor,
  valueBuffer: tf.Tensor,
  keys: tf.Tensor,
  values: tf.Tensor,
  offset: number,
): void {
  const attrs: KvWriteAttrs = { offset };
  tf.engine().runKernel(
    FUSED_KV_WRITE,
    { keyBuffer, valueBuffer, keys, values },
    attrs as unknown as tf.NamedAttrMap,
  );
}
