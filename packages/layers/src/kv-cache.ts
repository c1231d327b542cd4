import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KV_WRITE, fusedKvWrite } from './fused-kv-write.js';

/** Keys and values with room for more positions: [B, nKvHeads, room, headDim] each. */
export interface KvBuffers {
  keys: tf.Tensor;
  values: tf.Tensor;
  /** Positions filled, from the start; the rest is spare room. */
  length: number;
}

const FIRST_ROOM = 16; // positions the first buffers hold at least; they double when full

/**
 * A new buffer [B, nKv, room, hd] (a kept tensor of its own: the KV-write kernel writes into it) that starts
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

/**
 * The keys and values one attention layer has seen so far, for incremental decoding. It is an explicit
 * object handed to attention (not state hidden inside it) so that a caller owns its lifetime.
 *
 * Two ways to append: `append` (tf.concat, differentiable, every backend) and `appendInPlace` (the fused
 * kernel that writes into buffers with spare room, for inference on wasm and cpu). They may be mixed.
 */
export class LayerKvCache {
  private stored: { keys: tf.Tensor; values: tf.Tensor } | null = null; // [B, nKv, length, hd] each
  private buffers: { keys: tf.Tensor; values: tf.Tensor } | null = null; // [B, nKv, room, hd] each
  private count = 0;

  /** Number of positions stored. */
  get length(): number {
    return this.count;
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
   * Appends new keys and values [B, nKvHeads, Tnew, headDim] and returns everything stored,
   * [B, nKvHeads, length + Tnew, headDim]. The cache keeps (and later disposes) the returned tensors.
   */
  append(newKeys: tf.Tensor, newValues: tf.Tensor): [tf.Tensor, tf.Tensor] {
    if (newKeys.rank !== 4 || newValues.rank !== 4) {
      throw new Error(`LayerKvCache: keys [${newKeys.shape}] and values [${newValues.shape}] must be 4-D`);
    }
    const old = this.exact();
    const keys = old ? tf.concat([old.keys, newKeys], 2) : tf.clone(newKeys);
    const values = old ? tf.concat([old.values, newValues], 2) : tf.clone(newValues);
    this.release();
    this.stored = { keys: tf.keep(keys), values: tf.keep(values) };
    this.count = keys.shape[2] as number;
    return [keys, values];
  }

  /**
   * Appends like `append`, but writes in place into buffers with spare room (one fused kernel, no copy of
   * what is stored; no gradient, wasm and cpu only) and returns them with the number of positions filled.
   * The cache keeps the buffers; they change with the next append, so read them before it.
   */
  appendInPlace(newKeys: tf.Tensor, newValues: tf.Tensor): KvBuffers {
    if (!tf.getKernel(FUSED_KV_WRITE, tf.getBackend())) {
      throw new Error(
        `LayerKvCache.appendInPlace: no ${FUSED_KV_WRITE} kernel on backend ${tf.getBackend()}`,
      );
    }
    if (newKeys.rank !== 4 || newValues.rank !== 4) {
      throw new Error(`LayerKvCache: keys [${newKeys.shape}] and values [${newValues.shape}] must be 4-D`);
    }
    const T = newKeys.shape[2] as number;
    const needed = this.count + T;
    const room = this.buffers ? (this.buffers.keys.shape[2] as number) : 0;
    if (needed > room) {
      // Grow by doubling (amortised O(1) per position): the stored positions are copied once per doubling.
      const newRoom = Math.max(FIRST_ROOM, 2 ** Math.ceil(Math.log2(needed)));
      const old = this.buffers ? { keys: this.buffers.keys, values: this.buffers.values } : this.stored;
      const grown = {
        keys: withRoom(old?.keys, this.count, newRoom, newKeys.shape),
        values: withRoom(old?.values, this.count, newRoom, newValues.shape),
      };
      this.release();
      this.buffers = grown;
    } else if (this.stored) {
      this.stored.keys.dispose(); // a view of the buffers (`keys`), stale after this append
      this.stored.values.dispose();
      this.stored = null;
    }
    const buffers = this.buffers as { keys: tf.Tensor; values: tf.Tensor };
    fusedKvWrite(buffers.keys, buffers.values, newKeys, newValues, this.count);
    this.count = needed;
    return { keys: buffers.keys, values: buffers.values, length: needed };
  }

  dispose(): void {
    this.release();
    this.count = 0;
  }

  /** The stored keys and values at their exact length ([B, nKv, length, hd]), cut from the buffers if needed. */
  private exact(): { keys: tf.Tensor; values: tf.Tensor } | null {
    if (this.stored || !this.buffers) return this.stored;
    const { keys, values } = this.buffers;
    const size = [keys.shape[0]!, keys.shape[1]!, this.count, keys.shape[3]!];
    this.stored = { keys: tf.keep(tf.slice(keys, 0, size)), values: tf.keep(tf.slice(values, 0, size)) };
    return this.stored;
  }

  private release(): void {
    for (const held of [this.stored, this.buffers]) {
      held?.keys.dispose();
      held?.values.dispose();
    }
    this.stored = null;
    this.buffers = null;
  }
}
