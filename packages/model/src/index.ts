// The architecture description and the weights' representation live in @mini-llama/formats (no tensors
// there); the model re-exports them because every use of a model starts from them.
export {
  contextLength,
  LLAMA_PRESETS,
  type LlamaConfig,
  LlamaConfigError,
  type LlamaConfigInput,
  type LlamaPresetName,
  type NamedTensor,
  parameterCount,
  presetConfig,
  type RopeScaling,
  resolveConfig,
  type StateDict,
  type StorageDtype,
  validateConfig,
  WeightFileError,
} from '@mini-llama/formats';
// The fused inference kernels for wasm and cpu (see @mini-llama/layers/kernels): call once to decode faster.
export { registerFusedKernels, unregisterFusedKernels } from '@mini-llama/layers/kernels';
export { backendCapacityProblem, WASM_HEAP_BYTES } from './backend-capacity.js';
export { DecoderLayer, type DecoderLayerCall } from './decoder-layer.js';
export {
  type FinishReason,
  type GeneratedToken,
  type GenerateOptions,
  type GenerateResult,
  generate,
  generateStream,
} from './generate.js';
export { KvCache } from './kv-cache.js';
export {
  type AttentionMask,
  type ForwardOptions,
  LlamaModel,
  type LlamaModelOptions,
  transpose2d,
} from './llama-model.js';
export { Random, type RandomState } from './random.js';
export {
  argmax,
  type SamplingOptions,
  sampleToken,
  samplingDistribution,
  validateSamplingOptions,
} from './sampling.js';
export { lastRealPositions, SequenceClassifier } from './sequence-classifier.js';
