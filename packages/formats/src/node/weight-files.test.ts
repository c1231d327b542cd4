import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { type LlamaConfig, resolveConfig } from '../config.js';
import { expectedTensorShapes } from '../expected-tensor-shapes.js';
import { hfJsonFromConfig } from '../hf-config.js';
import { hfTensorsFromStateDict } from '../hf-llama.js';
import { serializeSafetensors } from '../safetensors.js';
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
  it('refuses a config.json of a far bigger model than its safetensors hold, in milliseconds', async () => {
    const directory = join(await temporaryDirectory(), 'model');
    await writeWeightFile(
      directory,
      { config, stateDict: zeros(expectedTensorShapes(config)) },
      { format: 'hf' },
    );
    const bigger = {
      ...hfJsonFromConfig(config),
      num_hidden_layers: 4000,
      hidden_size: 8192,
      num_attention_heads: 64,
      num_key_value_heads: 64,
      head_dim: 128,
      intermediate_size: 28672,
    };
    await writeFile(join(directory, 'config.json'), JSON.stringify(bigger));
    const started = performance.now();
    await expect(readWeightFile(directory)).rejects.toThrow(
      /model\.safetensors: tensor model\.embed_tokens\.weight has shape \[16,8\], expected \[16,8192\]|model\.safetensors: .*missing/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    await writeFile(join(directory, 'config.json'), JSON.stringify({ ...bigger, num_hidden_layers: 1e9 }));
    await expect(readWeightFile(directory)).rejects.toThrow(/config\.json: .*num_hidden_layers/);
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

  it('refuses weights that are not all finite, naming the tensor, when reading and when writing', async () => {
    const state = zeros(expectedTensorShapes(config));
    const path = join(await temporaryDirectory(), 'model');
    await writeWeightFile(path, { config, stateDict: state }, { format: 'hf' });
    // What a diverged run leaves: NaN and an infinity in a stored weight.
    const norm = state.get('model.norm.weight')!.data;
    norm[6] = Number.NaN;
    norm[7] = Number.POSITIVE_INFINITY;
    const tensors = hfTensorsFromStateDict(state, config);
    await writeFile(join(path, 'model.safetensors'), serializeSafetensors(tensors, { dtype: 'F32' }));
    await expect(readWeightFile(path)).rejects.toThrow(
      /model\.safetensors: tensor model\.norm\.weight holds 2 of 8 values that are not finite \(the first, at index 6, is NaN\): the weights are broken/,
    );
    const out = join(path, 'out.bin');
    await expect(writeWeightFile(out, { config, stateDict: state }, { format: 'llama2c' })).rejects.toThrow(
      `${out}: tensor model.norm.weight holds 2 of 8 values`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
