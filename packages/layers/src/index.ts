import './register-gradients.js';

export { causalMask, MASKED_SCORE, paddingMask } from './causal-mask.js';
export { type CrossEntropyOptions, crossEntropy } from './cross-entropy.js';
export { Embedding, type EmbeddingConfig } from './embedding.js';
export { FeedForward, type FeedForwardConfig } from './feed-forward.js';
export { fusedKernelsEnabled, setFusedKernelsEnabled } from './fused-kernel-switch.js';
export {
  type AttentionCall,
  GroupedQueryAttention,
  type GroupedQueryAttentionConfig,
  prefixed,
} from './grouped-query-attention.js';
export { type KvBuffers, LayerKvCache } from './kv-cache.js';
export { Linear, type LinearConfig } from './linear.js';
export { type LinearCrossEntropyOptions, linearCrossEntropy } from './linear-cross-entropy.js';
export { isRecordingGradients, matMul, swapLastTwoAxes } from './matmul.js';
export { RmsNorm, type RmsNormConfig } from './rms-norm.js';
export { RotaryEmbedding, type RotaryEmbeddingConfig, type RotaryTables } from './rotary-embedding.js';
