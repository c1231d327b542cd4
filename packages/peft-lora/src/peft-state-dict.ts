// An adapter's variables ↔ HF PEFT's state dict (what adapter_model.safetensors holds), and the same
// adapter as low-rank updates of a base state dict. PEFT's names and layouts themselves are peft-keys.ts.
import type { NamedTensor, StateDict } from '@mini-llama/formats';
import { transpose2d } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { AdapterFileError } from './adapter-config-json.js';
import type { ResolvedLoraConfig, SavableModuleName } from './lora-config.js';
import type { LoraWeights } from './lora-linear.js';
import {
  loraAFromPeft,
  loraAToPeft,
  loraBFromPeft,
  loraBToPeft,
  loraKey,
  PEFT_PREFIX,
  savedModuleKey,
} from './peft-keys.js';
import type { TargetModule } from './target-modules.js';

/** One adapter's variables by the module they adapt (LoraModel.adapterVariables). */
export interface AdapterVariables {
  config: ResolvedLoraConfig;
  targets: { target: TargetModule; weights: LoraWeights }[];
  saved: { module: SavableModuleName; copy: tf.Variable }[];
}

/**
 * An adapter as low-rank updates of the base model's state dict (@mini-llama/model's layout: HF names,
 * [out, in], Meta's interleaved q/k rows): for each adapted projection, `target` (its weight's name),
 * A [r, in], B [out, r] and the scale, so that W₀ + scale·B·A is the merged weight. Its modules to save
 * come as `saved`, under the base model's names (`score.weight` [numLabels, dim], `lm_head.weight`).
 * This is what WiSE-FT of an adapter (θ(α) = W₀ + α·scale·B·A) needs without building a merged model.
 */
export interface LowRankUpdates {
  updates: { target: string; a: NamedTensor; b: NamedTensor; scale: number }[];
  saved: StateDict;
}

/**
 * An adapter's tensors as PEFT saves them: keys without the adapter name, lora_A [r, in], lora_B [out, r]
 * (q/k rows in HF's rotate-half order), modules to save [out, in] under their own names.
 */
export async function adapterStateDict({ targets, saved }: AdapterVariables): Promise<StateDict> {
  const out: StateDict = new Map();
  for (const { target, weights } of targets) {
    const { a, b, rank } = weights;
    const { inFeatures, outFeatures } = target;
    out.set(loraKey(target.path, 'A'), {
      shape: [rank, inFeatures],
      data: loraAToPeft((await a.data()) as Float32Array, inFeatures, rank),
    });
    out.set(loraKey(target.path, 'B'), {
      shape: [outFeatures, rank],
      data: loraBToPeft((await b.data()) as Float32Array, rank, outFeatures, target.rotaryHeads),
    });
  }
  for (const { module, copy } of saved) out.set(savedModuleKey(module), await asStored(copy));
  return out;
}

/** See LowRankUpdates. */
export async function lowRankUpdates({ targets, saved }: AdapterVariables): Promise<LowRankUpdates> {
  const updates = [];
  for (const { target, weights } of targets) {
    const { a, b, rank, scale } = weights;
    const { inFeatures, outFeatures } = target;
    updates.push({
      target: `${target.path}.weight`,
      a: { shape: [rank, inFeatures], data: transpose2d((await a.data()) as Float32Array, inFeatures, rank) },
      b: {
        shape: [outFeatures, rank],
        data: transpose2d((await b.data()) as Float32Array, rank, outFeatures),
      },
      scale,
    });
  }
  const copies: StateDict = new Map();
  for (const { module, copy } of saved) copies.set(`${module}.weight`, await asStored(copy));
  return { updates, saved: copies };
}

/**
 * Assigns an adapter's variables from PEFT's file layout. Nothing is assigned unless every expected key is
 * there with its shape and no other key is; errors start with `source` (the file) and name the key, with
 * `unexpected` saying why a key has no place in this adapter.
 */
export function loadAdapterStateDict(
  { config, targets, saved }: AdapterVariables,
  stateDict: StateDict,
  source: string,
  unexpected: (key: string) => string,
): void {
  const fail = (problem: string) => new AdapterFileError(source, problem);
  const expected = new Map<string, number[]>();
  for (const { target } of targets) {
    expected.set(loraKey(target.path, 'A'), [config.r, target.inFeatures]);
    expected.set(loraKey(target.path, 'B'), [target.outFeatures, config.r]);
  }
  for (const { module, copy } of saved) {
    const [inFeatures, outFeatures] = copy.shape as [number, number];
    expected.set(savedModuleKey(module), [outFeatures, inFeatures]);
  }
  for (const key of stateDict.keys()) {
    if (!expected.has(key)) throw fail(unexpected(key));
  }
  for (const [key, shape] of expected) {
    const tensor = stateDict.get(key);
    if (!tensor) throw fail(`missing key "${key}" (the adapter config targets it)`);
    const rankAxis = key.endsWith('.lora_A.weight') ? 0 : key.endsWith('.lora_B.weight') ? 1 : -1;
    if (sameShape(tensor.shape, shape)) continue;
    if (rankAxis >= 0 && tensor.shape.length === 2 && tensor.shape[1 - rankAxis] === shape[1 - rankAxis]) {
      throw fail(
        `"${key}" has rank ${tensor.shape[rankAxis]} (shape [${tensor.shape}]), but the adapter config says r = ${config.r}`,
      );
    }
    throw fail(
      `"${key}" has shape [${tensor.shape}], this model needs [${shape}] (an adapter made for another base model?)`,
    );
  }
  const assign = (variable: tf.Variable, values: Float32Array) =>
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
  for (const { target, weights } of targets) {
    const { a, b, rank } = weights;
    const { inFeatures, outFeatures, rotaryHeads } = target;
    assign(a, loraAFromPeft(stateDict.get(loraKey(target.path, 'A'))!.data, inFeatures, rank));
    assign(b, loraBFromPeft(stateDict.get(loraKey(target.path, 'B'))!.data, rank, outFeatures, rotaryHeads));
  }
  for (const { module, copy } of saved) {
    const [inFeatures, outFeatures] = copy.shape as [number, number];
    assign(copy, transpose2d(stateDict.get(savedModuleKey(module))!.data, outFeatures, inFeatures));
  }
}

/** A module's copy [in, out] as a state dict holds it: [out, in]. */
async function asStored(copy: tf.Variable): Promise<NamedTensor> {
  const [inFeatures, outFeatures] = copy.shape as [number, number];
  return {
    shape: [outFeatures, inFeatures],
    data: transpose2d((await copy.data()) as Float32Array, inFeatures, outFeatures),
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/**
 * Why a key of an adapter file has no place in an adapter of `config` on a model with these modules and
 * layers, as precisely as the key allows.
 */
export function unexpectedKeyProblem(
  key: string,
  config: ResolvedLoraConfig,
  modules: readonly TargetModule[],
  layerCount: number,
): string {
  const lora = /^base_model\.model\.model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_[AB]\.weight$/.exec(
    key,
  );
  if (lora) {
    const layer = Number(lora[1]);
    if (layer >= layerCount) {
      return `key "${key}" is for layer ${layer}, but this model has ${layerCount} layers (an adapter made for another base model?)`;
    }
    const path = key.slice(PEFT_PREFIX.length).replace(/\.lora_[AB]\.weight$/, '');
    if (!modules.some((module) => module.path === path)) {
      return `key "${key}": ${lora[3]} is not a module of a Llama decoder layer`;
    }
    return `key "${key}" is not targeted by the adapter config (target_modules ${JSON.stringify(config.targetModules)}${config.layersToTransform ? `, layers_to_transform ${JSON.stringify(config.layersToTransform)}` : ''})`;
  }
  if (!key.startsWith(PEFT_PREFIX)) {
    return `unexpected key "${key}": PEFT keys start with "${PEFT_PREFIX}" (is this a PEFT LoRA adapter?)`;
  }
  return `unexpected key "${key}" (not a LoRA matrix of a targeted module, nor a module to save of this adapter)`;
}
