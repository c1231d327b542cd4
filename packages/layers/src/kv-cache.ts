import * as tf from '@tensorflow/tfjs-core';
import { canRunFused } from './fused-dispatch.js';
import { FUSED, type KvWriteAttrs } from './fused-kernel-names.js';

/** Keys and values [B, nKvHeads, room, headDim] each, of which the first `length` positions are filled. */
export interface KvBuffers {
  keys: tf.Tensor;
  values: tf.Tensor;
  /** Positions filled, from the start; the rest (room − length) is spare room. */
  length: number;
}

const FIRST_ROOM = 16; // positions the first in-place buffers hold at least; they double when full

/**
 * The keys and values one attention layer has seen so far, for incremental decoding. It is an explicit
 * object handed to attention (not state hidden inside it) so that a caller owns its lifetime.
 */
export class LayerKvCache {
  private stored: KvBuffers | null = null; // kept tensors; room ≥ length
  private exactView: { keys: tf.Tensor; values: tf.Tensor } | null = null; // [B, nKv, length, hd], when cut

  /** Number of positions stored. */
  get length(): number {
    return this.stored?.length ?? 0;
  }

  /** [B, nKvHeads, length, headDim], or null before the first append. The cache keeps (and disposes) it. */
  get keys(): tf.Tensor | null {
    return this.exact()?.keys ?? null;
  }

  /** [B, nKvHeads, length, headDim], or null before the first append. The cache keeps (and disposes) it. */
  get values(): tf.Tensor | null {
    return this.exact()?.values ?? null;
  }

  /**
   * Appends new keys and values [B, nKvHeads, Tnew, headDim] and returns everything stored, in buffers that
   * may hold spare room after the `length` filled positions. The cache keeps (and later disposes) them; they
   * change with the next append, so read them before it.
   */
  append(newKeys: tf.Tensor, newValues: tf.Tensor): KvBuffers {
    if (newKeys.rank !== 4 || newValues.rank !== 4) {
      throw new Error(`LayerKvCache: keys [${newKeys.shape}] and values [${newValues.shape}] must be 4-D`);
    }
    this.releaseView();
    this.stored = appendToCache(this.stored, newKeys, newValues);
    return this.stored;
  }

  /**
   * For a fused kernel that writes the new keys and values itself (where the in-place kernels run): makes room
   * for `newPositions` more in the buffers (like: the shape [B, nKv, ·, hd] they have), hands them and the
   * offset of the first new position to `write`, which must fill exactly those, then counts them as stored.
   */
  writeInPlace<R>(newPositions: number, like: number[], write: (buffers: KvBuffers, offset: number) => R): R {
    this.releaseView();
    const filled = this.length;
    const buffers = withRoomFor(this.stored, filled + newPositions, like);
    this.stored = buffers;
    const result = write(buffers, filled);
    this.stored = { ...buffers, length: filled + newPositions };
    return result;
  }

  dispose(): void {
    this.releaseView();
    if (this.stored) tf.dispose([this.stored.keys, this.stored.values]);
    this.stored = null;
  }

  private exact(): { keys: tf.Tensor; values: tf.Tensor } | null {
    if (!this.stored) return null;
    const { keys, values, length } = this.stored;
    if (keys.shape[2] === length) return { keys, values };
    if (!this.exactView) {
      const size = [keys.shape[0]!, keys.shape[1]!, length, keys.shape[3]!];
      this.exactView = { keys: tf.keep(tf.slice(keys, 0, size)), values: tf.keep(tf.slice(values, 0, size)) };
    }
    return this.exactView;
  }

  private releaseView(): void {
    if (this.exactView) tf.dispose([this.exactView.keys, this.exactView.values]);
    this.exactView = null;
  }
}

/**
 * `stored` (disposed here when replaced) with new keys and values [B, nKv, T, hd] after its filled positions.
 * Where the fused write kernel runs (wasm and cpu, no gradient) they are written in place into buffers with
 * spare room, which double when full: one kernel that copies only the new positions. Elsewhere (and while a
 * gradient is recorded) a concatenation, differentiable, whose result is exact (no spare room).
 */
function appendToCache(stored: KvBuffers | null, newKeys: tf.Tensor, newValues: tf.Tensor): KvBuffers {
  const filled = stored?.length ?? 0;
  const length = filled + (newKeys.shape[2] as number);
  if (!canRunFused(FUSED.kvWrite)) {
    const next = tf.tidy(() => {
      const size = [...newKeys.shape.slice(0, 2), filled, newKeys.shape[3]!];
      const old = (t: tf.Tensor) => (t.shape[2] === filled ? t : tf.slice(t, 0, size));
      return stored
        ? [tf.concat([old(stored.keys), newKeys], 2), tf.concat([old(stored.values), newValues], 2)]
        : [tf.clone(newKeys), tf.clone(newValues)];
    });
    if (stored) tf.dispose([stored.keys, stored.values]);
    return { keys: tf.keep(next[0]!), values: tf.keep(next[1]!), length };
  }
  const buffers = withRoomFor(stored, length, newKeys.shape);
  const attrs: KvWriteAttrs = { offset: filled };
  const inputs = { keyBuffer: buffers.keys, valueBuffer: buffers.values, keys: newKeys, values: newValues };
  tf.engine().runKernel(FUSED.kvWrite, inputs, attrs as unknown as tf.NamedAttrMap);
  return { keys: buffers.keys, values: buffers.values, length };
}

/**
 * `stored`'s buffers when they have room for `length` positions, else new ones (`stored`'s disposed) that
 * start with its filled positions: room grows by doubling (amortised O(1) per position; the stored positions
 * are copied once per doubling). like: the shape [B, nKv, ·, hd] of new keys or values.
 */
function withRoomFor(stored: KvBuffers | null, length: number, like: number[]): KvBuffers {
  if (stored && length <= (stored.keys.shape[2] as number)) return stored;
  const filled = stored?.length ?? 0;
  const room = Math.max(FIRST_ROOM, 2 ** Math.ceil(Math.log2(length)));
  const buffers = {
    keys: withRoom(stored?.keys, filled, room, like),
    values: withRoom(stored?.values, filled, room, like),
    length: filled,
  };
  if (stored) tf.dispose([stored.keys, stored.values]);
  return buffers;
}

/**
 * A new buffer [B, nKv, room, hd] (a kept tensor of its own: the write kernel writes into it) that starts
 * with the first `filled` positions of `stored` and is zero after them. like: the shape of new keys or values.
 */
function withRoom(stored: tf.Tensor | undefined, filled: number, room: number, like: number[]): tf.Tensor {
  const [B, nKv, , headDim] = like as [number, number, number, number];
  return tf.tidy(() => {
    const spare = tf.zeros([B, nKv, room - filled, headDim]); // [B, nKv, room − filled, hd]
    if (!stored || filled === 0) return tf.keep(spare);
    return tf.keep(tf.concat([tf.slice(stored, 0, [B, nKv, filled, headDim]), spare], 2)); // [B, nKv, room, hd]
  });
}
