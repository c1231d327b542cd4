import type { LinearLike } from '@mini-llama/layers';
import type { DecoderLayer } from './decoder-layer.js';

// The projections of a model, by their HF module paths, as places that hold a module: a model's structure is
// fixed, but what sits in each place can be replaced — that is how adapters enter a model (peft-lora's
// LoraLinear takes a projection's place and calls it), as mlx-lm's `update_modules` does. Nothing else of the
// model changes: attention, the feed-forward, the loss and generation call whatever module is there.

/** A place in the model that holds a LinearLike. */
export interface ModuleSlot {
  get(): LinearLike;
  set(module: LinearLike): void;
}

const ATTENTION = { q_proj: 'qProj', k_proj: 'kProj', v_proj: 'vProj', o_proj: 'oProj' } as const;
const FEED_FORWARD = { gate_proj: 'gateProj', up_proj: 'upProj', down_proj: 'downProj' } as const;
const LAYER_MODULE = /^model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)$/;

/** The paths of a decoder layer's projections, in HF module order. */
export function layerModulePaths(index: number): string[] {
  return [
    ...Object.keys(ATTENTION).map((name) => `model.layers.${index}.self_attn.${name}`),
    ...Object.keys(FEED_FORWARD).map((name) => `model.layers.${index}.mlp.${name}`),
  ];
}

/** The slot of a decoder layer's projection at `path`, or undefined when the path names none. */
export function layerModuleSlot(layers: readonly DecoderLayer[], path: string): ModuleSlot | undefined {
  const match = LAYER_MODULE.exec(path);
  if (!match) return undefined;
  const layer = layers[Number(match[1])];
  const name = match[3]!;
  if (layer && match[2] === 'self_attn' && Object.hasOwn(ATTENTION, name)) {
    const field = ATTENTION[name as keyof typeof ATTENTION];
    return { get: () => layer.selfAttn[field], set: (module) => (layer.selfAttn[field] = module) };
  }
  if (layer && match[2] === 'mlp' && Object.hasOwn(FEED_FORWARD, name)) {
    const field = FEED_FORWARD[name as keyof typeof FEED_FORWARD];
    return { get: () => layer.mlp[field], set: (module) => (layer.mlp[field] = module) };
  }
  return undefined;
}

/**
 * Puts `module` in `slot` and returns what was there. The new module must have the same shape: a model's
 * parameters and state dicts keep their names and shapes whatever module computes with them.
 */
export function replaceInSlot(slot: ModuleSlot, module: LinearLike, path: string): LinearLike {
  const current = slot.get();
  if (module.inFeatures !== current.inFeatures || module.outFeatures !== current.outFeatures) {
    throw new Error(
      `replaceModule: ${path} maps ${current.inFeatures} → ${current.outFeatures} features, the new module ${module.inFeatures} → ${module.outFeatures}`,
    );
  }
  slot.set(module);
  return current;
}

/** The error for a path that names no replaceable module. */
export function unknownModule(path: string, example: string): Error {
  return new Error(`replaceModule: no module at "${path}" (paths look like ${example})`);
}
