export {
  contextLength,
  LLAMA_PRESETS,
  type LlamaConfig,
  LlamaConfigError,
  type LlamaConfigInput,
  type LlamaPresetName,
  parameterCount,
  plainLlamaProblem,
  presetConfig,
  type RopeScaling,
  resolveConfig,
  swiGluHiddenDim,
  validateConfig,
} from './config.js';
export {
  expectedTensorShapes,
  findTensorShapeProblem,
  multipleOfFromHiddenDim,
} from './expected-tensor-shapes.js';
export {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './half-precision.js';
export { checkpointFromHfFiles, type HfCheckpoint } from './hf-checkpoint-files.js';
export {
  configFromHfJson,
  HF_CONFIG_KEYS_SAFE_TO_IGNORE,
  HF_MODEL_TYPES,
  type HfModelType,
  hfJsonFromConfig,
} from './hf-config.js';
export {
  hfTensorsFromStateDict,
  parseShardIndex,
  permuteForHf,
  type ShardIndex,
  stateDictFromHfTensors,
  unpermuteFromHf,
} from './hf-llama.js';
export { fetchHubFiles, type HubFetchOptions, type HubFiles } from './hub-fetch.js';
export {
  DEFAULT_HUB_ENDPOINT,
  HUB_MODEL_FILES,
  type HubDownloadProgress,
  HubError,
  type HubReference,
  hubFileUrl,
  parseHubReference,
} from './hub-reference.js';
export { type Llama2cFile, type Llama2cVersion, parseLlama2c, serializeLlama2c } from './llama2c.js';
export { type NpyArray, parseNpy, serializeNpy } from './npy.js';
export { ropeInverseFrequencies } from './rope-frequencies.js';
export {
  parseSafetensors,
  readSafetensorsHeader,
  type SafetensorsFile,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  type SerializeSafetensorsOptions,
  serializeSafetensors,
} from './safetensors.js';
export {
  assertFiniteTensors,
  type NamedTensor,
  nonFiniteTensorProblem,
  type StateDict,
  type StorageDtype,
  WeightFileError,
} from './state-dict.js';
