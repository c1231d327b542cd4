import * as tf from '@tensorflow/tfjs-core';

// Where a backend's speed decides how the layers compute, and only here: what each backend is fast or slow
// at was measured (../../../docs/performance.md, ../shared/docs/tfjs-notes.md), and these rules turn those
// measurements into choices. Each choice changes speed only, never the result beyond float rounding.

/** The backends whose tensors JavaScript reads in place, where the fused inference kernels (./kernels) run. */
export const FUSED_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

// On wasm and the pure-JS cpu backend, batched matMuls run an order of magnitude slower than 2-D ones, and the
// attention products are batched: with many long sequences they take most of a training step. Looping over
// (row, key/value head) pairs turns every product into a 2-D one; the loop costs a few ops per pair, so it
// pays only when the score matrices are large (not for one decoded token).
const LOOPED_ATTENTION_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);
const LOOP_ABOVE = 1 << 18; // score elements [B·nKv·G·T·Tk] from which looping pays

/** Whether attention over `scoreElements` scores should run one (row, KV head) pair at a time here. */
export function prefersLoopedAttention(scoreElements: number): boolean {
  return LOOPED_ATTENTION_BACKENDS.has(tf.getBackend()) && scoreElements >= LOOP_ABOVE;
}

// tfjs's own matMul gradient multiplies with transposeA / transposeB, which wasm runs an order of magnitude
// slower than the plain layout (0.8–1.2 against 13–16 GFLOP/s); TensorFlow's C library runs both alike.
const TRANSPOSED_PRODUCTS_ARE_FAST: ReadonlySet<string> = new Set(['tensorflow']);

/** Whether this backend multiplies transposed operands as fast as plain ones (then tfjs's gradient is best). */
export function transposedProductsAreFast(): boolean {
  return TRANSPOSED_PRODUCTS_ARE_FAST.has(tf.getBackend());
}
