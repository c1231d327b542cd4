/**
 * adapter_config.json as HF PEFT writes it for LoRA (`LoraConfig.save_pretrained`: the dataclass's fields,
 * keys sorted, `inference_mode` true in saved files). Reading accepts what PEFT writes and rejects, by name,
 * the LoRA variants this package does not implement instead of silently computing something else.
 */
import {
  type LoraConfig,
  LoraConfigError,
  type ResolvedLoraConfig,
  resolveLoraConfig,
} from './lora-config.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** PEFT's task types this package supports: a language model, or a classifier with a `score` head. */
export type TaskType = 'CAUSAL_LM' | 'SEQ_CLS';

/** An unreadable or inconsistent adapter file; the message starts with the file's name. */
export class AdapterFileError extends Error {
  override name = 'AdapterFileError';
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.file = file;
  }
}

export interface AdapterConfigFile {
  config: ResolvedLoraConfig;
  taskType: TaskType;
  baseModelNameOrPath: string | null;
}

// PEFT's default targets for Llama when target_modules is null
// (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING["llama"]).
const PEFT_LLAMA_DEFAULT_TARGETS = ['q_proj', 'v_proj'];

// PEFT's name for a classification head of other architectures; it adds ["classifier", "score"] to every
// SEQ_CLS adapter's modules_to_save, and ignores the name a model does not have.
const PEFT_CLASSIFIER_ALIAS = 'classifier';

/** The JSON object PEFT would write for this adapter (keys sorted, as PEFT's save_pretrained). */
export function adapterConfigJson(
  config: ResolvedLoraConfig,
  { taskType, baseModelNameOrPath = null }: { taskType: TaskType; baseModelNameOrPath?: string | null },
): Record<string, unknown> {
  const modulesToSave: string[] =
    taskType === 'SEQ_CLS'
      ? [...config.modulesToSave.filter((name) => name !== 'score'), PEFT_CLASSIFIER_ALIAS, 'score']
      : [...config.modulesToSave];
  const json: Record<string, unknown> = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModelNameOrPath,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: config.init === 'gaussian' ? 'gaussian' : true,
    layers_pattern: config.layersToTransform ? 'layers' : null,
    layers_to_transform: config.layersToTransform ? [...config.layersToTransform] : null,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    modules_to_save: modulesToSave.length > 0 ? modulesToSave : null,
    peft_type: 'LORA',
    r: config.r,
    rank_pattern: {},
    revision: null,
    target_modules:
      typeof config.targetModules === 'string' ? config.targetModules : [...config.targetModules],
    task_type: taskType,
    use_dora: false,
    use_rslora: config.useRslora,
  };
  return json;
}

/** adapter_config.json's text: two-space indent, as PEFT writes it. */
export function serializeAdapterConfig(json: Record<string, unknown>): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Reads adapter_config.json (its text or parsed JSON); errors start with `fileName`. */
export function parseAdapterConfig(source: string | unknown, fileName: string): AdapterConfigFile {
  const fail = (problem: string) => new AdapterFileError(fileName, problem);
  let json: unknown = source;
  if (typeof source === 'string') {
    try {
      json = JSON.parse(source);
    } catch (error) {
      throw fail(`invalid JSON (${(error as Error).message})`);
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw fail(`expected a JSON object, got ${describe(json)}`);
  }
  const fields = json as Record<string, unknown>;
  if (fields.peft_type !== 'LORA') {
    throw fail(`peft_type is ${describe(fields.peft_type)}; only "LORA" adapters are supported`);
  }
  const taskType = fields.task_type ?? 'CAUSAL_LM';
  if (taskType !== 'CAUSAL_LM' && taskType !== 'SEQ_CLS') {
    throw fail(`task_type ${describe(taskType)} is not supported (expected "CAUSAL_LM" or "SEQ_CLS")`);
  }
  rejectUnsupported(fields, fail);

  const init = fields.init_lora_weights ?? true;
  if (init !== true && init !== false && init !== 'gaussian') {
    throw fail(
      `init_lora_weights ${describe(init)} is not supported: it changes the base weights or needs data ` +
        '(only true, false and "gaussian")',
    );
  }
  let layersToTransform = fields.layers_to_transform ?? undefined;
  if (typeof layersToTransform === 'number') layersToTransform = [layersToTransform]; // PEFT allows one int
  const layersPattern = fields.layers_pattern ?? null;
  if (layersPattern !== null && layersPattern !== 'layers' && !isLayersList(layersPattern)) {
    throw fail(`layers_pattern ${describe(layersPattern)} does not name Llama's decoder layers ("layers")`);
  }
  let modulesToSave = fields.modules_to_save ?? [];
  if (!Array.isArray(modulesToSave) || !modulesToSave.every((name) => typeof name === 'string')) {
    throw fail(`modules_to_save must be a list of module names or null, got ${describe(modulesToSave)}`);
  }
  modulesToSave = modulesToSave.filter((name) => name !== PEFT_CLASSIFIER_ALIAS);
  const targets = fields.target_modules ?? PEFT_LLAMA_DEFAULT_TARGETS;
  const input: LoraConfig = {
    r: expectType(fields.r, 'number', 'r', fail),
    alpha: expectType(fields.lora_alpha, 'number', 'lora_alpha', fail),
    dropout: expectType(fields.lora_dropout, 'number', 'lora_dropout', fail),
    useRslora: expectType(fields.use_rslora, 'boolean', 'use_rslora', fail),
    targetModules: targets as LoraConfig['targetModules'],
    layersToTransform: layersToTransform as number[] | undefined,
    modulesToSave: modulesToSave as string[],
    init: init === 'gaussian' ? 'gaussian' : 'kaiming',
  };
  let config: ResolvedLoraConfig;
  try {
    config = resolveLoraConfig(input);
  } catch (error) {
    if (!(error instanceof LoraConfigError)) throw error;
    throw fail(withFileFieldNames(error.message));
  }
  if (taskType === 'SEQ_CLS' && !config.modulesToSave.includes('score')) {
    throw fail('task_type is "SEQ_CLS" but modules_to_save does not list "score" (the classification head)');
  }
  const base = fields.base_model_name_or_path ?? null;
  if (base !== null && typeof base !== 'string') {
    throw fail(`base_model_name_or_path must be a string or null, got ${describe(base)}`);
  }
  return { config, taskType, baseModelNameOrPath: base };
}

/** "LoraConfig.targetModules: …" → "target_modules: …": a LoraConfigError in the words of the file. */
export function withFileFieldNames(message: string): string {
  return message.replace(/LoraConfig\.(\w+)/g, (_, field: string) => SNAKE_CASE[field] ?? field);
}

// LoraConfig field → adapter_config.json key, to name fields in errors the way the file does.
const SNAKE_CASE: Record<string, string> = {
  r: 'r',
  alpha: 'lora_alpha',
  dropout: 'lora_dropout',
  useRslora: 'use_rslora',
  targetModules: 'target_modules',
  layersToTransform: 'layers_to_transform',
  modulesToSave: 'modules_to_save',
  init: 'init_lora_weights',
};

/** LoRA variants that would need more than A and B: each must be off (absent, null, false, empty). */
function rejectUnsupported(
  fields: Record<string, unknown>,
  fail: (problem: string) => AdapterFileError,
): void {
  const off = (value: unknown) =>
    value === undefined ||
    value === null ||
    value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
  if (fields.bias !== undefined && fields.bias !== 'none') {
    throw fail(
      `bias ${describe(fields.bias)} is not supported (only "none": Llama's projections have no bias)`,
    );
  }
  for (const [key, what] of [
    ['use_dora', 'DoRA'],
    ['fan_in_fan_out', 'fan_in_fan_out (Conv1D-style weights)'],
    ['rank_pattern', 'per-module ranks (rank_pattern)'],
    ['alpha_pattern', 'per-module alphas (alpha_pattern)'],
    ['layer_replication', 'layer_replication'],
    ['exclude_modules', 'exclude_modules'],
    ['trainable_token_indices', 'trainable_token_indices'],
    ['target_parameters', 'target_parameters'],
    ['lora_bias', 'lora_bias'],
    ['use_qalora', 'QA-LoRA'],
  ] as const) {
    if (!off(fields[key])) throw fail(`${key} ${describe(fields[key])}: ${what} is not supported`);
  }
}

function expectType<T extends 'number' | 'boolean'>(
  value: unknown,
  type: T,
  key: string,
  fail: (problem: string) => AdapterFileError,
): (T extends 'number' ? number : boolean) | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw fail(`${key} must be a ${type}, got ${describe(value)}`);
  return value as T extends 'number' ? number : boolean;
}

function isLayersList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 1 && value[0] === 'layers';
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
