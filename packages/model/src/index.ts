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
  expectedTensorShapes,
  findTensorShapeProblem,
  multipleOfFromHiddenDim,
} from './formats/expected-tensor-shapes.js';
export {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './formats/half-precision.js';
export {
  configFromHfJson,
  hfJsonFromConfig,
  hfTensorsFromStateDict,
  parseShardIndex,
  permuteForHf,
  type ShardIndex,
  stateDictFromHfTensors,
  unpermuteFromHf,
} from './formats/hf-llama.js';
export { type Llama2cFile, type Llama2cVersion, parseLlama2c, serializeLlama2c } from './formats/llama2c.js';
export {
  parseSafetensors,
  readSafetensorsHeader,
  type SafetensorsFile,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  type SerializeSafetensorsOptions,
  serializeSafetensors,
} from './formats/safetensors.js';
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
export { lastRealPositions, SequenceClassifier } from './sequence-classifier.js';
export { type NamedTensor, type StateDict, type StorageDtype, WeightFileError } from './state-dict.js';
