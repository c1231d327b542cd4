import type { LlamaModel } from '@mini-llama/model';
import { type LinearModuleName, LoraConfigError, type ResolvedLoraConfig } from './lora-config.js';

/** A projection of a decoder layer that an adapter can wrap. */
export interface TargetModule {
  path: string; // HF module path: model.layers.0.self_attn.q_proj
  layer: number;
  name: LinearModuleName;
  inFeatures: number;
  outFeatures: number;
  /**
   * q_proj and k_proj rows are stored in HF's rotate-half order in HF (and PEFT) files, and in the
   * interleaved order here (see @mini-llama/formats' hf-llama.ts): the head count to permute their rows by.
   */
  rotaryHeads: number | null;
}

/** Every projection of the decoder's layers, in HF module order (never the output head). */
export function targetModules(llama: LlamaModel): TargetModule[] {
  const { nHeads, nKvHeads } = llama.config;
  return llama
    .modulePaths()
    .filter((path) => path !== 'lm_head')
    .map((path) => {
      const [, layer, , name] = path.split('.').slice(1) as [string, string, string, LinearModuleName];
      const { inFeatures, outFeatures } = llama.module(path);
      const rotaryHeads = name === 'q_proj' ? nHeads : name === 'k_proj' ? nKvHeads : null;
      return { path, layer: Number(layer), name, inFeatures, outFeatures, rotaryHeads };
    });
}

/**
 * The modules a config targets, as PEFT's check_target_module_exists picks them: a list entry matches a
 * module whose path is the entry or ends in `.entry` (a name, or a tail of the path), filtered by
 * layersToTransform; a regular expression must match the whole path (re.fullmatch). A list entry that is a
 * path (it has a dot) and matches no module is an error: it names a module this model does not have.
 */
export function selectTargets(modules: TargetModule[], config: ResolvedLoraConfig): TargetModule[] {
  const layerCount = new Set(modules.map((module) => module.layer)).size;
  for (const index of config.layersToTransform ?? []) {
    if (index >= layerCount) {
      throw new LoraConfigError(
        `LoraConfig.layersToTransform: layer ${index} does not exist (the model has ${layerCount} layers)`,
      );
    }
  }
  const { targetModules, layersToTransform } = config;
  if (typeof targetModules === 'string') {
    const pattern = new RegExp(`^(?:${targetModules})$`);
    const matched = modules.filter((module) => pattern.test(module.path));
    if (matched.length === 0) {
      throw new LoraConfigError(
        `LoraConfig.targetModules: the regular expression ${JSON.stringify(targetModules)} matches no module (paths look like ${modules[0]?.path})`,
      );
    }
    return matched;
  }
  const matches = (module: TargetModule, target: string) =>
    module.path === target || module.path.endsWith(`.${target}`);
  for (const target of targetModules) {
    if (target.includes('.') && !modules.some((module) => matches(module, target))) {
      throw new LoraConfigError(
        `LoraConfig.targetModules: ${JSON.stringify(target)} is not a module of this model (paths look like ${modules[0]?.path}, ${layerCount} layers)`,
      );
    }
  }
  return modules.filter(
    (module) =>
      targetModules.some((target) => matches(module, target)) &&
      (layersToTransform === null || layersToTransform.includes(module.layer)),
  );
}
