import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { AdapterFileError } from '../adapter-config-json.js';
import { LoraModel } from '../lora-model.js';
import { randomizeAdapter, sameBits, tinyModel } from '../test-helpers.js';
import { loadAdapter, readAdapter, saveAdapter } from './index.js';

const directory = () => mkdtemp(join(tmpdir(), 'peft-lora-dir-'));

describe('saveAdapter / loadAdapter', () => {
  beforeEach(async () => {
    await useBackend('cpu');
  });

  it('writes the two PEFT files atomically and loads them back exactly', async () => {
    const model = tinyModel(4);
    const lora = new LoraModel(model, { r: 2, targetModules: ['v_proj', 'up_proj'] });
    randomizeAdapter(lora, 'default', 2);
    const trained = new Map(
      Object.entries(lora.trainableParameters()).map(([k, v]) => [k, Float32Array.from(v.dataSync())]),
    );
    const out = join(await directory(), 'nested', 'adapter');
    const written = await saveAdapter(lora, out, { baseModelNameOrPath: 'base/model' });
    expect(written).toEqual([join(out, 'adapter_config.json'), join(out, 'adapter_model.safetensors')]);
    expect((await readdir(out)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']); // no temp files
    expect(JSON.parse(await readFile(written[0]!, 'utf8')).base_model_name_or_path).toBe('base/model');
    lora.dispose();

    const before = tf.memory().numTensors;
    const loaded = await loadAdapter(model, out);
    for (const [name, variable] of Object.entries(loaded.trainableParameters())) {
      expect(sameBits(Float32Array.from(variable.dataSync()), trained.get(name)!), name).toBe(true);
    }
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('names the directory or file that is missing or broken', async () => {
    const root = await directory();
    await expect(readAdapter(join(root, 'nowhere'))).rejects.toThrow(
      `${join(root, 'nowhere')}: no such adapter directory`,
    );
    const model = tinyModel(1);
    const lora = new LoraModel(model, { r: 2 });
    const out = join(root, 'adapter');
    await saveAdapter(lora, out);
    lora.dispose();
    await writeFile(join(out, 'adapter_config.json'), '{"peft_type": "LORA", ');
    const badJson = readAdapter(out);
    await expect(badJson).rejects.toBeInstanceOf(AdapterFileError);
    await expect(readAdapter(out)).rejects.toThrow(`${join(out, 'adapter_config.json')}: invalid JSON`);
    await rm(join(out, 'adapter_model.safetensors'));
    await expect(readAdapter(out)).rejects.toThrow(`${join(out, 'adapter_model.safetensors')}: missing`);
    await expect(loadAdapter(model, join(out, 'adapter_config.json'))).rejects.toThrow('not a directory');
    model.dispose();
  });
});
