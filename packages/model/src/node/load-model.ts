import {
  type HubDownloadOptions,
  readWeightFile,
  resolveModelReference,
  type WeightFile,
  type WeightFormat,
  type WriteWeightOptions,
  writeWeightFile,
} from '@mini-llama/formats/node';
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
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { hub, ...modelOptions } = options;
  const { stateDict, ...file } = await readWeightFile(await resolveModelReference(path, hub));
  const model = new LlamaModel(file.config, { ...modelOptions, init: 'none' });
  try {
    model.loadStateDict(stateDict, path);
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
