import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { type LlamaConfig, resolveConfig } from '../config.js';
import { expectedTensorShapes } from '../expected-tensor-shapes.js';
import { hfJsonFromConfig } from '../hf-config.js';
import { hfTensorsFromStateDict } from '../hf-llama.js';
import { serializeSafetensors } from '../safetensors.js';
import type { StateDict } from '../state-dict.js';
import { formulaStateDict, tinyConfig } from '../test-helpers.js';
import { openWeightFile, readWeightFile, writeWeightFile } from './index.js';

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

describe('openWeightFile', () => {
  /** A sharded checkpoint of distinct values: the layers' tensors in shard 1, the rest in shard 2. */
  async function shardedCheckpoint(): Promise<{ directory: string; state: StateDict }> {
    const small = tinyConfig();
    const state = formulaStateDict(small);
    const directory = join(await temporaryDirectory(), 'sharded');
    await mkdir(directory, { recursive: true });
    const tensors = hfTensorsFromStateDict(state, small);
    const inLayers = (name: string) => name.startsWith('model.layers.');
    const shards = [
      new Map([...tensors].filter(([name]) => inLayers(name))),
      new Map([...tensors].filter(([name]) => !inLayers(name))),
    ];
    const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      await writeFile(join(directory, files[i]!), serializeSafetensors(shard, { dtype: 'F32' }));
      for (const name of shard.keys()) weightMap[name] = files[i]!;
    }
    const index = { metadata: { total_size: 0 }, weight_map: weightMap };
    await writeFile(join(directory, 'model.safetensors.index.json'), JSON.stringify(index));
    await writeFile(join(directory, 'config.json'), JSON.stringify(hfJsonFromConfig(small)));
    return { directory, state };
  }

  it('yields every tensor of every shard once, in our layout, equal to what readWeightFile returns', async () => {
    const { directory, state } = await shardedCheckpoint();
    const stream = await openWeightFile(directory);
    expect(stream.files.map((file) => file.split('/').at(-1))).toEqual([
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    const names: string[] = [];
    for await (const [name, tensor] of stream.tensors()) {
      names.push(name);
      expect(tensor.data).toEqual(state.get(name)!.data); // q/k unpermuted back to ours
    }
    expect(names.sort()).toEqual([...state.keys()].sort());
    const whole = await readWeightFile(directory);
    expect([...whole.stateDict.keys()]).toEqual([...state.keys()]); // the model's order
  });

  it('refuses a wrong name when opened, from the headers, and a broken value when it is read', async () => {
    const { directory } = await shardedCheckpoint();
    const second = join(directory, 'model-00002-of-00002.safetensors');
    const bytes = new Uint8Array(await readFile(second));
    // Rename model.norm.weight in the header (same length, so the offsets hold): refused when opened.
    const at = Buffer.from(bytes).indexOf('model.norm.weight');
    const renamed = bytes.slice();
    renamed.set(new TextEncoder().encode('model.norn.weight'), at);
    await writeFile(second, renamed);
    await expect(openWeightFile(directory)).rejects.toThrow(
      /model\.safetensors\.index\.json: missing tensor "model\.norm\.weight" \[8\]; found unexpected "model\.norn\.weight"/,
    );
    // A NaN in the last tensor is found only when that tensor is read: the stream yields the others first.
    const { directory: other, state } = await shardedCheckpoint();
    state.get('model.norm.weight')!.data[3] = Number.NaN;
    const tensors = hfTensorsFromStateDict(state, tinyConfig());
    const outside = new Map([...tensors].filter(([name]) => !name.startsWith('model.layers.')));
    await writeFile(
      join(other, 'model-00002-of-00002.safetensors'),
      serializeSafetensors(outside, { dtype: 'F32' }),
    );
    const stream = await openWeightFile(other);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const [name] of stream.tensors()) seen.push(name);
      })(),
    ).rejects.toThrow(/model-00002-of-00002\.safetensors: tensor model\.norm\.weight holds 1 of 8 values/);
    expect(seen.length).toBeGreaterThan(10);
  });

  it('names the file and the byte where a shard ends early', async () => {
    const { directory } = await shardedCheckpoint();
    const first = join(directory, 'model-00001-of-00002.safetensors');
    const bytes = new Uint8Array(await readFile(first));
    const stream = await openWeightFile(directory); // headers checked against the whole file
    await writeFile(first, bytes.subarray(0, bytes.length - 4)); // truncated after opening
    await expect(
      (async () => {
        for await (const _ of stream.tensors());
      })(),
    ).rejects.toThrow(/model-00001-of-00002\.safetensors: cannot read: the file ended at byte \d+/);
  });
});
