import * as tf from '@tensorflow/tfjs-core';
import { prefersLoopedAttention } from './backend-policy.js';
import { runFused } from './fused-dispatch.js';
import { type AttentionAttrs, FUSED } from './fused-kernel-names.js';
import { matMul, swapLastTwoAxes } from './matmul.js';

/**
 * softmax(q·kᵀ + mask)·v with the heads merged. q: [B, nKv, G·T, hd] (scaled, G query heads per key/value
 * head), keys and values: [B, nKv, ≥ keyLength, hd] of which the first keyLength positions are attended to (a
 * KV cache's buffers hold spare room after them), mask: additive [B|1, 1, T|1, keyLength] or null
 * → [B·T, nHeads·hd].
 */
export function attend(
  q: tf.Tensor,
  keys: tf.Tensor,
  values: tf.Tensor,
  mask: tf.Tensor | null,
  { groupSize, keyLength }: AttentionAttrs,
): tf.Tensor {
  const [B, nKv, rows, headDim] = q.shape as [number, number, number, number];
  const looped = prefersLoopedAttention(B * nKv * rows * keyLength);
  const inputs: tf.NamedTensorMap = mask ? { q, k: keys, v: values, mask } : { q, k: keys, v: values };
  const fused = looped ? null : runFused(FUSED.attention, inputs, { groupSize, keyLength });
  if (fused) return fused[0]!;
  const T = rows / groupSize;
  return tf.tidy(() => {
    const size = [B, nKv, keyLength, headDim];
    const k = keys.shape[2] === keyLength ? keys : tf.slice(keys, 0, size); // [B, nKv, Tk, hd]
    const v = values.shape[2] === keyLength ? values : tf.slice(values, 0, size); // [B, nKv, Tk, hd]
    // The batched products add the mask to [B, nKv, G·T, Tk] scores: repeat its rows for the group.
    const groupedMask =
      mask && groupSize > 1 && mask.shape[2] !== 1 ? tf.tile(mask, [1, 1, groupSize, 1]) : mask;
    const heads = looped ? attendPerGroup(q, k, v, mask, groupSize) : attendBatched(q, k, v, groupedMask); // [B, nKv, G·T, hd]
    return tf.reshape(
      tf.transpose(tf.reshape(heads, [B, nKv * groupSize, T, headDim]), [0, 2, 1, 3]), // [B, T, nHeads, hd]
      [B * T, nKv * groupSize * headDim],
    );
  });
}

/**
 * softmax(q·kᵀ + mask)·v as batched products. q: [B, nKv, G·T, hd], k and v: [B, nKv, Tk, hd], mask
 * [B|1, 1, G·T|1, Tk] (already repeated for the group).
 */
export function attendBatched(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  let scores = matMul(q, swapLastTwoAxes(k)); // [B, nKv, G·T, Tk]
  if (mask) scores = tf.add(scores, mask);
  return matMul(tf.softmax(scores), v); // [B, nKv, G·T, hd]
}

/**
 * The same as attendBatched, one (row, key/value head) pair at a time with 2-D products, and with a gradient
 * that recomputes each pair's attention matrix instead of keeping it: only q, k, v and the mask are saved, so
 * a training step no longer holds B·nHeads·T·Tk scores and probabilities per layer (the memory trick of
 * FlashAttention, Dao et al. 2022, without its tiling). Backward per pair, with P = softmax(S), S = q·kᵀ + M:
 *   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS·K,  dK = dSᵀ·Q.
 * The mask [B|1, 1, T|1, Tk] is not repeated for the group: each pair's scores are viewed as [G, T, Tk].
 */
export function attendPerGroup(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor | null,
  groupSize: number,
): tf.Tensor {
  const [B, nKv, rows, headDim] = q.shape as [number, number, number, number];
  const keys = k.shape[2] as number;
  const pairs = B * nKv;
  const maskTensor = mask ?? tf.zeros([1, 1, 1, keys]);
  const maskBatch = maskTensor.shape[0] as number;
  const probabilities = (qi: tf.Tensor, ki: tf.Tensor, maskRow: tf.Tensor) => {
    const scores = tf.matMul(qi, swapLastTwoAxes(ki)); // [G·T, Tk]
    const masked = tf.reshape(tf.add(tf.reshape(scores, [groupSize, -1, keys]), maskRow), [rows, keys]);
    return tf.softmax(masked); // [G·T, Tk]
  };
  const attention = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qa, ka, va, ma, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([qa, ka, va, ma]);
    const blocks = (qs: tf.Tensor, ks: tf.Tensor, vs: tf.Tensor, ms: tf.Tensor) => ({
      qs: tf.split(tf.reshape(qs, [pairs * rows, headDim]), pairs, 0), // pairs × [G·T, hd]
      ks: tf.split(tf.reshape(ks, [pairs * keys, headDim]), pairs, 0), // pairs × [Tk, hd]
      vs: tf.split(tf.reshape(vs, [pairs * keys, headDim]), pairs, 0), // pairs × [Tk, hd]
      ms: tf.split(tf.reshape(ms, [maskBatch, -1, keys]), maskBatch, 0), // maskBatch × [1, T|1, Tk]
    });
    const maskFor = (ms: tf.Tensor[], pair: number) => ms[maskBatch === 1 ? 0 : Math.floor(pair / nKv)]!;
    const forward = blocks(qa, ka, va, ma);
    const outputs = forward.qs.map((qi, pair) =>
      tf.tidy(() =>
        tf.matMul(probabilities(qi, forward.ks[pair]!, maskFor(forward.ms, pair)), forward.vs[pair]!),
      ),
    );
    return {
      value: tf.reshape(tf.concat(outputs, 0), [B, nKv, rows, headDim]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sq, sk, sv, sm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const back = blocks(sq, sk, sv, sm);
        const dOut = tf.split(tf.reshape(dy as tf.Tensor, [pairs * rows, headDim]), pairs, 0);
        const dq: tf.Tensor[] = [];
        const dk: tf.Tensor[] = [];
        const dv: tf.Tensor[] = [];
        back.qs.forEach((qi, pair) => {
          const [gq, gk, gv] = tf.tidy(() => {
            const ki = back.ks[pair]!;
            const vi = back.vs[pair]!;
            const p = probabilities(qi, ki, maskFor(back.ms, pair)); // recomputed [G·T, Tk]
            const dO = dOut[pair]!; // [G·T, hd]
            // Pᵀ·dO as (dOᵀ·P)ᵀ: the transposes are of [G·T, hd] and [hd, Tk], not of the [G·T, Tk] matrix
            const gradV = swapLastTwoAxes(tf.matMul(swapLastTwoAxes(dO), p)); // [Tk, hd]
            const dP = tf.matMul(dO, swapLastTwoAxes(vi)); // [G·T, Tk]
            const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), 1, true))); // softmax backward
            const gradK = swapLastTwoAxes(tf.matMul(swapLastTwoAxes(qi), dS)); // dSᵀ·Q as (Qᵀ·dS)ᵀ, [Tk, hd]
            return [tf.matMul(dS, ki), gradK, gradV]; // [G·T, hd], [Tk, hd], [Tk, hd]
          });
          dq.push(gq!);
          dk.push(gk!);
          dv.push(gv!);
        });
        return [
          tf.reshape(tf.concat(dq, 0), [B, nKv, rows, headDim]),
          tf.reshape(tf.concat(dk, 0), [B, nKv, keys, headDim]),
          tf.reshape(tf.concat(dv, 0), [B, nKv, keys, headDim]),
          tf.zerosLike(sm), // the mask is a constant
        ];
      },
    };
  });
  return attention(q, k, v, maskTensor);
}
