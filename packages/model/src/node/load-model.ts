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
import { backendCapacityProblem } from '../backend-capacity.js';
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

/** Writes a model's weights (and config) in the given format. */
export async function saveModel(
  model: LlamaModel,
  path: string,
  options: WriteWeightOptions,
): Promise<string[]> {
  return writeWeightFile(path, { config: model.config, stateDict: await model.stateDict() }, options);
}

export type { WeightFormat };
