// The names the fused inference kernels register under (./kernels), shared by the ops that dispatch to them
// (./fused-dispatch.ts) and the kernels themselves, with the attributes each takes.

export const FUSED = {
  /** x · rsqrt(mean(x²) + eps) · weight. Inputs x [..., dim], weight [dim] → [..., dim]. */
  rmsNorm: 'MiniLlamaRmsNorm',
  /** silu(gate) ⊙ up. Inputs gate, up [..., hidden] → [..., hidden]. */
  swiGlu: 'MiniLlamaSwiGlu',
  /** Projections → rotated q (scaled, grouped), rotated k, v by head; see HeadLayout. */
  rotaryHeads: 'MiniLlamaRotaryHeads',
  /** softmax(q·kᵀ + mask)·v with the heads merged; see AttentionAttrs. */
  attention: 'MiniLlamaAttention',
  /** Writes new keys and values into a KV cache's buffers in place; see KvWriteAttrs. */
  kvWrite: 'MiniLlamaKvWrite',
  /** A whole decoder layer for one new token per row, its key and value written to the cache; see DecoderStepAttrs. */
  decoderStep: 'MiniLlamaDecoderStep',
} as const;

export interface RmsNormAttrs {
  eps: number;
}

/** How the projections split into heads, and the query scale (1/√headDim) folded in. */
export interface HeadLayout {
  batch: number; // B
  nHeads: number;
  nKvHeads: number;
  queryScale: number;
}

export interface AttentionAttrs {
  groupSize: number; // query heads per key/value head
  keyLength: number; // positions of k and v to attend to (they may hold more: a KV cache's spare room)
}

export interface KvWriteAttrs {
  offset: number; // the position the first new one is written to
}

export interface DecoderStepAttrs {
  nHeads: number;
  nKvHeads: number;
  eps: number; // both norms'
  offset: number; // positions already in the cache: the new key and value go there, attention reads offset + 1
}
