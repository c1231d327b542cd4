import { type LlamaConfig, parameterCount } from '@mini-llama/formats';
import {
  type HubDownloadOptions,
  openWeightFile,
  resolveModelReference,
  type WeightFile,
  type WeightFormat,
  type WriteWeightOptions,
  writeWeightFile,
} from '@mini-llama/formats/node';
import * as tf from '@tensorflow/tfjs-core';
import { LlamaModel, type LlamaModelOptions } from '../llama-model.js';

export interface LoadedModel {
  model: LlamaModel;
  file: Omit<WeightFile, 'stateDict'>;
}

export interface LoadModelOptions extends Omit<LlamaModelOptions, 'init' | 'seed'> {
  /** For `hf:ORG/NAME[@REVISION]`: the Hub settings (default: from the environment), progress and messages. */
  hub?: HubDownloadOptions;
}

/**
 * Reads a weight file in any supported format and builds the model it describes. `hf:ORG/NAME[@REVISION]` is
 * downloaded into (or found in) the huggingface_hub cache first; `file.files` then name the snapshot's files.
 * Safetensors checkpoints stream: names and shapes are checked from the headers, then each tensor is read,
 * converted and placed in the model before the next, so memory holds the model plus one tensor.
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { hub, ...modelOptions } = options;
  const { tensors, ...file } = await openWeightFile(await resolveModelReference(path, hub), {
    beforeWeights: (config) => {
      const problem = backendCapacityProblem(config, tf.getBackend());
      if (problem) throw new Error(`${path}: ${problem}`);
    },
  });
  const model = new LlamaModel(file.config, { ...modelOptions, init: 'none' });
  try {
    const loaded = new Set<string>();
    for await (const [name, tensor] of tensors()) {
      model.loadParameter(name, tensor, path);
      loaded.add(name);
    }
    const missing = Object.keys(model.parameters()).filter((name) => !loaded.has(name));
    if (missing.length > 0) throw new Error(`${path}: missing tensor(s): ${missing.slice(0, 5).join(', ')}`);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, file };
}

/** The most memory tfjs's wasm backend can address: a 32-bit WebAssembly heap. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * Why `backend` cannot hold a model of this config, or null. The weights alone, in float32, must fit the
 * backend's memory: the wasm backend's heap is 32-bit (4 GiB), so a TinyLlama- or Llama-3.2-1B-sized model is
 * refused there before a byte of its weights is read, rather than failing deep inside a kernel.
 */
export function backendCapacityProblem(config: LlamaConfig, backend: string): string | null {
  if (backend !== 'wasm') return null;
  const bytes = parameterCount(config) * 4;
  if (bytes <= WASM_HEAP_BYTES) return null;
  const gib = (value: number) => `${(value / 1024 ** 3).toFixed(1)} GiB`;
  return `${parameterCount(config).toLocaleString('en-US')} parameters need ${gib(bytes)} in float32, more than the ${gib(WASM_HEAP_BYTES)} the wasm backend can address: use the tensorflow backend (Node) or webgpu`;
}

/** Writes a model's weights (and config) in the given format. */
export async function saveModel(
  model: LlamaModel,
  path: string,
  options: WriteWeightOptions,
): Promise<string[]> {
  return writeWeightFile(path, { config: model.config, stateDict: await model.stateDict() }, options);
}

export type { WeightFormat };
