import './register-gradients.js';

export { attend, attendBatched, attendPerGroup } from './attention.js';
export {
  DECODER_STEP_MAX_MACS,
  decoderStepMaxMacs,
  FUSED_KERNEL_BACKENDS,
  prefersLoopedAttention,
  transposedProductsAreFast,
} from './backend-policy.js';
export { causalMask, MASKED_SCORE, paddingMask } from './causal-mask.js';
export { type CrossEntropyOptions, crossEntropy } from './cross-entropy.js';
export {
  type DecoderStepCall,
  type DecoderStepLayer,
  decoderStep,
} from './decoder-step.js';
export { Embedding, type EmbeddingConfig } from './embedding.js';
export { FeedForward, type FeedForwardConfig, swiGlu } from './feed-forward.js';
export { canRunFused, runFused } from './fused-dispatch.js';
export {
  type AttentionAttrs,
  type DecoderStepAttrs,
  FUSED,
  type HeadLayout,
  type KvWriteAttrs,
  type RmsNormAttrs,
} from './fused-kernel-names.js';
export {
  type AttentionCall,
  GroupedQueryAttention,
  type GroupedQueryAttentionConfig,
} from './grouped-query-attention.js';
export { type KvBuffers, LayerKvCache } from './kv-cache.js';
export { Linear, type LinearConfig, type LinearLike } from './linear.js';
export { type LinearCrossEntropyOptions, linearCrossEntropy } from './linear-cross-entropy.js';
export { isRecordingGradients, matMul, swapLastTwoAxes } from './matmul.js';
export { prefixed } from './prefixed.js';
export { RmsNorm, type RmsNormConfig, rmsNorm } from './rms-norm.js';
export { RotaryEmbedding, type RotaryEmbeddingConfig, type RotaryTables } from './rotary-embedding.js';
export { rotaryHeads } from './rotary-heads.js';
