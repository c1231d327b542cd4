import * as tf from '@tensorflow/tfjs-core';

/**
 * The keys and values one attention layer has seen so far, for incremental decoding. It is an explicit
 * object handed to attention (not state hidden inside it) so that a caller owns its lifetime.
 */
export class LayerKvCache {
  /** [B, nKvHeads, length, headDim], or null before the first append */
  keys: tf.Tensor | null = null;
  /** [B, nKvHeads, length, headDim], or null before the first append */
  values: tf.Tensor | null = null;

  /** Number of positions stored. */
  get length(): number {
    return this.keys ? (this.keys.shape[2] ?? 0) : 0;
  }

  /**
   * Appends new keys and values [B, nKvHeads, Tnew, headDim] and returns everything stored,
   * [B, nKvHeads, length + Tnew, headDim]. The cache keeps (and later disposes) the returned tensors.
   */
  append(newKeys: tf.Tensor, newValues: tf.Tensor): [tf.Tensor, tf.Tensor] {
    if (newKeys.rank !== 4 || newValues.rank !== 4) {
      throw new Error(`LayerKvCache: keys [${newKeys.shape}] and values [${newValues.shape}] must be 4-D`);
    }
    const keys = this.keys ? tf.concat([this.keys, newKeys], 2) : tf.clone(newKeys);
    const values = this.values ? tf.concat([this.values, newValues], 2) : tf.clone(newValues);
    this.keys?.dispose();
    this.values?.dispose();
    this.keys = tf.keep(keys);
    this.values = tf.keep(values);
    return [keys, values];
  }

  dispose(): void {
    this.keys?.dispose();
    this.values?.dispose();
    this.keys = null;
    this.values = null;
  }
}
