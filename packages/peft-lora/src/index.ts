export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type AdapterConfigFile,
  AdapterFileError,
  adapterConfigJson,
  parseAdapterConfig,
  serializeAdapterConfig,
  type TaskType,
} from './adapter-config-json.js';
export {
  type AdapterFiles,
  type LoadAdapterOptions,
  loadParsedAdapter,
  type ParsedAdapter,
  parseAdapter,
  type SerializeAdapterOptions,
  serializeAdapter,
} from './adapter-files.js';
export { AdapterModules, type AdapterPlan } from './adapter-modules.js';
export {
  ALL_LINEAR,
  LINEAR_MODULE_NAMES,
  type LinearModuleName,
  type LoraConfig,
  LoraConfigError,
  type LoraInit,
  loraScale,
  type ResolvedLoraConfig,
  resolveLoraConfig,
  SAVABLE_MODULE_NAMES,
  type SavableModuleName,
} from './lora-config.js';
export { type AdapterState, type LoraAdapterOptions, LoraLinear, type LoraWeights } from './lora-linear.js';
export { type AdaptableModel, type AddAdapterOptions, LoraModel } from './lora-model.js';
export { ModulesToSave } from './modules-to-save.js';
export { formatParameterReport, type ParameterReport, parameterReport } from './parameter-report.js';
export {
  loraKey,
  loraParameterName,
  PEFT_PREFIX,
  savedModuleKey,
  savedModuleParameterName,
} from './peft-keys.js';
export type { AdapterVariables, LowRankUpdates } from './peft-state-dict.js';
export { selectTargets, type TargetModule, targetModules } from './target-modules.js';
