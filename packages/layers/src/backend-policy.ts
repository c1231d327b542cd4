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

/**
 * Multiply-adds per decoded token of a layer (its seven projections) up to which the whole-layer decoding
 * kernel (./decoder-step.ts) is used, by how it runs: cheaper than the ~15 kernel dispatches it replaces for a
 * small layer, dearer than the backend's own products for a wide one. Measured on wasm ×1, one process
 * alternating with and without the kernel (docs/performance.md), whole-layer ÷ per-op —
 * in JavaScript (~0.7–1 GMAC/s; cpu, and wasm where the SIMD build cannot compile): 45K multiply-adds
 * (stories260K) 1.17x, 71K 1.06x, 101K 0.87x, 181K 0.60x, 995K (stories15M) 0.34x;
 * in WebAssembly SIMD (wasm): 45K 2.93x, 262K 1.72x, 442K 1.56x, 609K 1.13x, 786K 1.14x, 995K 0.90x.
 */
export const DECODER_STEP_MAX_MACS = { javascript: 64_000, wasmSimd: 800_000 } as const;

let simdDecoderStep = false;

/** Set by `registerFusedKernels`: whether the whole-layer kernel's WebAssembly SIMD build compiles here. */
export function setSimdDecoderStep(available: boolean): void {
  simdDecoderStep = available;
}

/** The widest layer, in multiply-adds per decoded token, the whole-layer kernel runs on this backend. */
export function decoderStepMaxMacs(): number {
  return tf.getBackend() === 'wasm' && simdDecoderStep
    ? DECODER_STEP_MAX_MACS.wasmSimd
    : DECODER_STEP_MAX_MACS.javascript;
}
