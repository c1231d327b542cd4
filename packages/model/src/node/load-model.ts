import {
  readWeightFile,
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

/** Reads a weight file in any supported format and builds the model it describes. */
export async function loadModel(
  path: string,
  options: Omit<LlamaModelOptions, 'init' | 'seed'> = {},
): Promise<LoadedModel> {
  const { stateDict, ...file } = await readWeightFile(path);
  const model = new LlamaModel(file.config, { ...options, init: 'none' });
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
