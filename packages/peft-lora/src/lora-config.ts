/**
 * The settings of one LoRA adapter (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"),
 * named after HF PEFT's LoraConfig fields (camelCase here, snake_case in adapter_config.json).
 */

/** The Linear projections of a Llama decoder layer, by their HF module names. */
export const LINEAR_MODULE_NAMES = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
] as const;

export type LinearModuleName = (typeof LINEAR_MODULE_NAMES)[number];

/** PEFT's shorthand for every Linear layer except the output head. */
export const ALL_LINEAR = 'all-linear';

/** Modules trained fully and saved in the adapter file (PEFT's modules_to_save). */
export const SAVABLE_MODULE_NAMES = ['score', 'lm_head'] as const;

export type SavableModuleName = (typeof SAVABLE_MODULE_NAMES)[number];

export type LoraInit = 'kaiming' | 'gaussian';

export interface LoraConfig {
  r?: number; // rank of the update ΔW = B·A; 8 as PEFT's default
  alpha?: number; // lora_alpha: the update is scaled by alpha / r (8 as PEFT's default)
  useRslora?: boolean; // rank-stabilised scaling alpha / sqrt(r) (Kalajdzievski 2023) instead of alpha / r
  dropout?: number; // probability of dropping adapter inputs while training; 0 (PEFT's default) turns it off
  /**
   * Which projections get an adapter: module names (`['q_proj', 'v_proj']`) or, as PEFT matches a list, any
   * tail of a module path (`'self_attn.q_proj'`, `'model.layers.0.mlp.up_proj'`: PEFT writes `all-linear` out
   * this way), 'all-linear' (all seven of each layer, never the output head), or any other string as a regular
   * expression that must match a module's whole path (`model\.layers\.\d+\.self_attn\.(q|v)_proj`), as PEFT
   * reads a string. Default: q, k, v, o.
   */
  targetModules?: readonly string[] | string;
  layersToTransform?: readonly number[]; // decoder layer indices to adapt; default: every layer
  /** Modules trained in full and saved with the adapter: 'score' (a classifier's head), 'lm_head'. */
  modulesToSave?: readonly string[];
  /** A: Kaiming-uniform with a = √5 as nn.Linear's default ('kaiming', PEFT's `true`) or N(0, 1/r²); B = 0. */
  init?: LoraInit;
  seed?: number; // seeds A's initialisation and the dropout masks
}

export interface ResolvedLoraConfig {
  r: number;
  alpha: number;
  useRslora: boolean;
  dropout: number;
  /**
   * Module names or tails of module paths (each ends in a module name), or a regular expression (a string)
   * matched against whole module paths.
   */
  targetModules: readonly string[] | string;
  layersToTransform: readonly number[] | null;
  modulesToSave: readonly SavableModuleName[];
  init: LoraInit;
  seed: number;
}

export class LoraConfigError extends Error {
  override name = 'LoraConfigError';
}

const DEFAULT_TARGETS: readonly LinearModuleName[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];

/** Fills PEFT's defaults and validates; every error names the field. */
export function resolveLoraConfig(config: LoraConfig = {}): ResolvedLoraConfig {
  const fail = (problem: string) => new LoraConfigError(`LoraConfig.${problem}`);
  const r = config.r ?? 8;
  if (!Number.isSafeInteger(r) || r <= 0) throw fail(`r must be a positive integer, got ${String(r)}`);
  const alpha = config.alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) {
    throw fail(`alpha must be a positive number, got ${String(alpha)}`);
  }
  const useRslora = config.useRslora ?? false;
  if (typeof useRslora !== 'boolean') throw fail(`useRslora must be a boolean, got ${String(useRslora)}`);
  const dropout = config.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw fail(`dropout must be a probability in [0, 1), got ${String(dropout)}`);
  }
  const targetModules = resolveTargets(config.targetModules, fail);
  let layersToTransform: number[] | null = null;
  if (config.layersToTransform !== undefined && config.layersToTransform !== null) {
    if (!Array.isArray(config.layersToTransform) || config.layersToTransform.length === 0) {
      throw fail(
        `layersToTransform must be a non-empty array of layer indices, got ${show(config.layersToTransform)}`,
      );
    }
    for (const index of config.layersToTransform) {
      if (!Number.isSafeInteger(index) || index < 0) {
        throw fail(`layersToTransform: ${show(index)} is not a layer index (an integer ≥ 0)`);
      }
    }
    if (typeof targetModules === 'string') {
      // PEFT applies layers_to_transform only to a list of module names, not to a regular expression.
      throw fail(
        'layersToTransform cannot be combined with a regular expression in LoraConfig.targetModules',
      );
    }
    layersToTransform = [...new Set(config.layersToTransform)].sort((a, b) => a - b);
  }
  const modulesToSave: SavableModuleName[] = [];
  for (const name of config.modulesToSave ?? []) {
    if (name === 'embed_tokens') {
      throw fail('modulesToSave: embed_tokens is not supported (only score and lm_head)');
    }
    if (!(SAVABLE_MODULE_NAMES as readonly string[]).includes(name)) {
      throw fail(
        `modulesToSave: unknown module ${show(name)} (expected ${SAVABLE_MODULE_NAMES.join(' or ')})`,
      );
    }
    if (!modulesToSave.includes(name as SavableModuleName)) modulesToSave.push(name as SavableModuleName);
  }
  const init = config.init ?? 'kaiming';
  if (init !== 'kaiming' && init !== 'gaussian') {
    throw fail(`init must be 'kaiming' or 'gaussian', got ${show(init)}`);
  }
  const seed = config.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw fail(`seed must be an integer, got ${String(seed)}`);
  return { r, alpha, useRslora, dropout, targetModules, layersToTransform, modulesToSave, init, seed };
}

/** The factor of the update: alpha / r, or alpha / √r with rank-stabilised LoRA. */
export function loraScale({
  r,
  alpha,
  useRslora,
}: Pick<ResolvedLoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

function resolveTargets(
  targets: LoraConfig['targetModules'],
  fail: (problem: string) => LoraConfigError,
): readonly string[] | string {
  if (targets === undefined || targets === null) return DEFAULT_TARGETS;
  if (typeof targets === 'string') {
    if (targets === ALL_LINEAR) return [...LINEAR_MODULE_NAMES];
    if (targets === '') throw fail('targetModules must not be an empty string');
    try {
      new RegExp(targets);
    } catch (error) {
      throw fail(
        `targetModules: ${show(targets)} is not a valid regular expression (${(error as Error).message})`,
      );
    }
    return targets;
  }
  if (!Array.isArray(targets) || targets.length === 0) {
    throw fail(
      `targetModules must be a non-empty list of module names, 'all-linear' or a regular expression`,
    );
  }
  if (targets.length === 1 && targets[0] === ALL_LINEAR) return [...LINEAR_MODULE_NAMES];
  const names: string[] = [];
  for (const target of targets) {
    if (typeof target !== 'string') throw fail(`targetModules: ${show(target)} is not a module name`);
    const moduleName = target.slice(target.lastIndexOf('.') + 1);
    if (moduleName === 'lm_head' || moduleName === 'score') {
      throw fail(
        `targetModules: ${target} is never adapted (an output head); put it in modulesToSave to train it`,
      );
    }
    if (!(LINEAR_MODULE_NAMES as readonly string[]).includes(moduleName)) {
      throw fail(
        `targetModules: unknown module ${show(target)} (expected ${LINEAR_MODULE_NAMES.join(', ')}, a module path ending in one, or 'all-linear')`,
      );
    }
    if (!names.includes(target)) names.push(target);
  }
  return names;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
