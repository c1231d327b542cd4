import * as tf from '@tensorflow/tfjs-core';

/** Added to the scores of forbidden positions: large enough that exp() underflows to exactly 0. */
export const MASKED_SCORE = -1e9;

/**
 * Additive causal mask [T, Tk] for T queries whose first one sits at position `offset` (= Tk − T when the
 * earlier positions come from a KV cache): query t may attend to keys 0 … offset + t.
 */
export function causalMask(
  queryLength: number,
  keyLength: number,
  offset = keyLength - queryLength,
): tf.Tensor2D {
  if (offset < 0) throw new Error(`causalMask: ${queryLength} queries cannot follow ${keyLength} keys`);
  const mask = new Float32Array(queryLength * keyLength);
  for (let t = 0; t < queryLength; t++) {
    for (let j = offset + t + 1; j < keyLength; j++) mask[t * keyLength + j] = MASKED_SCORE;
  }
  return tf.tensor2d(mask, [queryLength, keyLength]);
}

/**
 * Additive key-padding mask [B, 1, 1, Tk] from a 0/1 mask [B, Tk] (1 = a real token, 0 = padding), so that
 * no query ever attends to a pad position.
 */
export function paddingMask(keepMask: tf.Tensor): tf.Tensor4D {
  if (keepMask.rank !== 2)
    throw new Error(`paddingMask: mask has shape [${keepMask.shape}], expected [B, Tk]`);
  const [B, Tk] = keepMask.shape as [number, number];
  return tf.tidy(() => {
    const additive = tf.mul(tf.sub(1, tf.cast(keepMask, 'float32')), MASKED_SCORE); // [B, Tk]
    return tf.reshape(additive, [B, 1, 1, Tk]) as tf.Tensor4D;
  });
}
