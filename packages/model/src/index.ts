export {
  LLAMA_PRESETS,
  type LlamaConfig,
  LlamaConfigError,
  type LlamaConfigInput,
  type LlamaPresetName,
  parameterCount,
  presetConfig,
  resolveConfig,
  validateConfig,
} from './config.js';
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
export { type ForwardOptions, LlamaModel, type LlamaModelOptions, transpose2d } from './llama-model.js';
export { Random, type RandomState } from './random.js';
export {
  argmax,
  type SamplingOptions,
  sampleToken,
  samplingDistribution,
  validateSamplingOptions,
} from './sampling.js';
export { type NamedTensor, type StateDict, type StorageDtype, WeightFileError } from './state-dict.js';
