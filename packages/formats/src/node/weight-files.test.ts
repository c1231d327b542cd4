import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { type LlamaConfig, resolveConfig } from '../config.js';
import { expectedTensorShapes } from '../expected-tensor-shapes.js';
import { hfJsonFromConfig } from '../hf-llama.js';
import type { StateDict } from '../state-dict.js';
import { readWeightFile, writeWeightFile } from './index.js';

const config: LlamaConfig = resolveConfig({ dim: 8, nLayers: 2, nHeads: 2, vocabSize: 16, maxSeqLen: 8 });

function zeros(shapes: Map<string, number[]>): StateDict {
  const state: StateDict = new Map();
  for (const [name, shape] of shapes)
    state.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  return state;
}

describe('readWeightFile', () => {
  it('refuses a config.json that implies more weights than its safetensors hold, before reading them', async () => {
    const directory = join(await temporaryDirectory(), 'model');
    await writeWeightFile(
      directory,
      { config, stateDict: zeros(expectedTensorShapes(config)) },
      { format: 'hf' },
    );
    const bigger = {
      ...hfJsonFromConfig(config),
      num_hidden_layers: 3000,
      hidden_size: 512,
      head_dim: 256,
      intermediate_size: 2048,
    };
    await writeFile(join(directory, 'config.json'), JSON.stringify(bigger));
    await expect(readWeightFile(directory)).rejects.toThrow(
      /config\.json: describes [\d,]+ parameters \(at least [\d,]+ bytes\), but the safetensors files hold [\d,]+ bytes: the config and the weights do not belong together/,
    );
  });

  it('reads what it wrote', async () => {
    const directory = await temporaryDirectory();
    await mkdir(directory, { recursive: true });
    const path = join(directory, 'model');
    await writeWeightFile(
      path,
      { config, stateDict: zeros(expectedTensorShapes(config)) },
      { format: 'hf', dtype: 'BF16' },
    );
    const file = await readWeightFile(path);
    expect(file.config).toEqual(config);
    expect(file.dtype).toBe('BF16');
  });
});
