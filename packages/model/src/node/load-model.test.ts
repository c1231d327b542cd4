import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { configFromHfJson } from '@mini-llama/formats';
import { readWeightFile, writeAtomic, writeWeightFile } from '@mini-llama/formats/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaModel } from '../index.js';
import { backendCapacityProblem, loadModel, saveModel } from './index.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
let work = '';
beforeAll(async () => {
  await useBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'mini-llama-weights-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tokens = [[1, 5, 9, 2, 7, 3]];
async function logitsOf(path: string): Promise<Float32Array> {
  const { model } = await loadModel(path);
  const values = tf.tidy(
    () => model.forward(tf.tensor2d(tokens, [1, 6], 'int32')).dataSync() as Float32Array,
  );
  model.dispose();
  return values;
}

describe('converting between formats', () => {
  it('llama2c v0 → HF safetensors → llama2c v1 keeps the logits identical', async () => {
    const source = `${fixtures}gqa_untied.llama2c.bin`;
    const v0 = await readWeightFile(source);
    expect(v0.format).toBe('llama2c');
    await writeWeightFile(join(work, 'as-hf'), v0, { format: 'hf' });
    const hf = await readWeightFile(join(work, 'as-hf'));
    expect(hf.format).toBe('hf');
    await writeWeightFile(join(work, 'as-v1.bin'), hf, { format: 'llama2c-v1' });
    expect((await readWeightFile(join(work, 'as-v1.bin'))).format).toBe('llama2c-v1');
    const reference = await logitsOf(source);
    expect(await logitsOf(join(work, 'as-hf'))).toEqual(reference);
    expect(await logitsOf(join(work, 'as-v1.bin'))).toEqual(reference);
    // Our v1 file is byte-identical to the one PyTorch's exporter layout produced.
    expect(readFileSync(join(work, 'as-v1.bin'))).toEqual(readFileSync(`${fixtures}gqa_untied.v1.bin`));
  });

  it.each([
    ['F16', 1e-2],
    ['BF16', 5e-2],
  ] as const)(
    '%s files are half the size and load within half-precision tolerance',
    async (dtype, tolerance) => {
      const model = new LlamaModel(
        { dim: 64, nLayers: 2, nHeads: 4, vocabSize: 300, maxSeqLen: 16, multipleOf: 16 },
        { seed: 3 },
      );
      await saveModel(model, join(work, 'f32'), { format: 'hf' });
      await saveModel(model, join(work, dtype), { format: 'hf', dtype });
      const size = (dir: string) => statSync(join(work, dir, 'model.safetensors')).size;
      expect(size(dtype) / size('f32')).toBeCloseTo(0.5, 2);
      const loaded = await readWeightFile(join(work, dtype));
      expect(loaded.dtype).toBe(dtype);
      expect(JSON.parse(readFileSync(join(work, dtype, 'config.json'), 'utf8')).torch_dtype).toBe(
        dtype === 'F16' ? 'float16' : 'bfloat16',
      );
      const full = await logitsOf(join(work, 'f32'));
      const half = await logitsOf(join(work, dtype));
      const worst = full.reduce((max, value, i) => Math.max(max, Math.abs(value - half[i]!)), 0);
      expect(worst).toBeLessThan(tolerance);
      expect(worst).toBeGreaterThan(0); // it really was rounded
      model.dispose();
    },
  );

  it('refuses half precision for llama2.c files, which store float32 only', async () => {
    const file = await readWeightFile(`${fixtures}mha_tied.llama2c.bin`);
    await expect(
      writeWeightFile(join(work, 'x.bin'), file, { format: 'llama2c', dtype: 'F16' }),
    ).rejects.toThrow(/llama2\.c files store float32 only/);
  });
});

describe('bad weight files give errors that name the file', () => {
  const bad = (name: string, bytes: Uint8Array | string) => {
    const path = join(work, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes);
    return path;
  };
  const fixtureBytes = (name: string) => new Uint8Array(readFileSync(`${fixtures}${name}`));
  const hfDir = (name: string, safetensors: Uint8Array, config?: string) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.safetensors'), safetensors);
    writeFileSync(join(dir, 'config.json'), config ?? readFileSync(`${fixtures}mha_tied.hf/config.json`));
    return dir;
  };
  const header = (json: string) => {
    const text = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + text.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(text, 8);
    return bytes;
  };

  it('a path that does not exist', async () => {
    await expect(loadModel(join(work, 'nope.bin'))).rejects.toThrow(/nope\.bin: no such file or directory/);
  });

  it('an unknown extension', async () => {
    await expect(loadModel(bad('weights.pt', 'x'))).rejects.toThrow(/weights\.pt: unknown weight format/);
  });

  it('a truncated llama2.c file', async () => {
    const full = fixtureBytes('mha_tied.llama2c.bin');
    const path = bad('truncated.bin', full.subarray(0, full.length - 100));
    await expect(loadModel(path)).rejects.toThrow(/truncated\.bin: .*truncated/);
  });

  it('an oversized llama2.c file', async () => {
    const full = fixtureBytes('mha_tied.v1.bin');
    const path = bad('oversized.bin', new Uint8Array([...full, 1, 2, 3, 4]));
    await expect(loadModel(path)).rejects.toThrow(/oversized\.bin: .*4 extra bytes/);
  });

  it('a llama2.c header with dim not divisible by the heads', async () => {
    const bytes = fixtureBytes('mha_tied.llama2c.bin').slice();
    new DataView(bytes.buffer).setInt32(12, 5, true); // n_heads = 5 for dim 32
    await expect(loadModel(bad('heads.bin', bytes))).rejects.toThrow(
      /heads\.bin: .*not divisible by n_heads 5/,
    );
  });

  it('a safetensors header length past the end of the file', async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 1_000_000n, true);
    await expect(loadModel(hfDir('long-header', bytes))).rejects.toThrow(/model\.safetensors: .*header/);
  });

  it('invalid header JSON', async () => {
    await expect(loadModel(hfDir('bad-json', header('{"a": ')))).rejects.toThrow(
      /model\.safetensors: .*JSON/,
    );
  });

  it('an unknown dtype', async () => {
    const json = '{"model.norm.weight":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}}';
    await expect(loadModel(hfDir('dtype', header(json)))).rejects.toThrow(/model\.safetensors: .*Q4/);
  });

  it('a missing tensor', async () => {
    const json = '{"model.norm.weight":{"dtype":"F32","shape":[32],"data_offsets":[0,128]}}';
    const bytes = new Uint8Array([...header(json), ...new Uint8Array(128)]);
    await expect(loadModel(hfDir('missing', bytes))).rejects.toThrow(
      /model\.safetensors: .*model\.embed_tokens\.weight/,
    );
  });

  it('a tensor of the wrong shape for the config', async () => {
    const dir = hfDir('shape', fixtureBytes('mha_tied.hf/model.safetensors'));
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 64 }));
    await expect(loadModel(dir)).rejects.toThrow(
      /model\.safetensors: .*mlp\.gate_proj\.weight.* has shape \[88, 32\], expected \[64, 32\]/,
    );
  });

  it('an inconsistent config.json', async () => {
    const config = JSON.parse(readFileSync(`${fixtures}gqa_tied.hf/config.json`, 'utf8'));
    const dir = hfDir(
      'kv',
      fixtureBytes('gqa_tied.hf/model.safetensors'),
      JSON.stringify({ ...config, num_key_value_heads: 3 }),
    );
    await expect(loadModel(dir)).rejects.toThrow(/config\.json: .*num_key_value_heads 3/);
  });

  it('a safetensors file without config.json', async () => {
    const dir = join(work, 'lonely');
    mkdirSync(dir, { recursive: true });
    copyFileSync(`${fixtures}mha_tied.hf/model.safetensors`, join(dir, 'model.safetensors'));
    await expect(loadModel(join(dir, 'model.safetensors'))).rejects.toThrow(/config\.json: missing/);
  });
});

describe('writeAtomic', () => {
  it('replaces the file whole and leaves no temporary files', async () => {
    const dir = join(work, 'atomic');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'weights.bin');
    await writeAtomic(path, new Uint8Array([1, 2, 3]));
    await writeAtomic(path, new Uint8Array([4, 5]));
    expect([...readFileSync(path)]).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(['weights.bin']);
  });

  it('keeps the previous file when a write fails', async () => {
    const dir = join(work, 'atomic-fail');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'weights.bin');
    await writeAtomic(path, new Uint8Array([7, 7]));
    mkdirSync(join(dir, 'blocker'));
    // renaming a file over a directory fails after the data was written: the old file must survive
    await expect(writeAtomic(join(dir, 'blocker'), new Uint8Array([1]))).rejects.toThrow();
    expect([...readFileSync(path)]).toEqual([7, 7]);
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'weights.bin']);
  });
});

describe('a model larger than the backend can hold', () => {
  it('is refused on wasm before its weights are read, naming the size and what to use instead', async () => {
    // TinyLlama-1.1B's config beside a weights file of a few bytes: the refusal comes from the config alone.
    const dir = join(work, 'tinyllama-on-wasm');
    mkdirSync(dir, { recursive: true });
    const published = readFileSync(`${fixtures}hf-family/published/TinyLlama-1.1B.json`, 'utf8');
    writeFileSync(join(dir, 'config.json'), published);
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(16));
    await useBackend('wasm');
    const started = performance.now();
    await expect(loadModel(dir)).rejects.toThrow(
      `${dir}: 1,100,048,384 parameters need 4.1 GiB in float32, more than the 4.0 GiB the wasm backend can address: use the tensorflow backend (Node) or webgpu`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    // on cpu the size is no obstacle: the file's own problem is what stops it
    await useBackend('cpu');
    await expect(loadModel(dir)).rejects.toThrow(/model\.safetensors/);
    expect(
      backendCapacityProblem(configFromHfJson(JSON.parse(published), 'config.json'), 'tensorflow'),
    ).toBeNull();
  });
});
