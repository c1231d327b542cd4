import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNpy } from '@mini-llama/formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, saveTinyModel, temporaryDirectory } from '../../test/cli-harness.js';

let directory: string;
let model: string;
const TOKENS = '1,2,3,5,8,13,21,3,31,0';

beforeAll(async () => {
  directory = await temporaryDirectory();
  model = await saveTinyModel(directory);
});

async function logitsOf(path: string): Promise<Float32Array> {
  const out = join(directory, `logits-${Math.random().toString(36).slice(2)}.npy`);
  const run = await cli('forward', '--backend', 'cpu', '--model', path, '--tokens', TOKENS, '--out', out);
  expect(run.stderr).not.toMatch(/^mini-llama/m);
  return parseNpy(new Uint8Array(await readFile(out))).data;
}

async function convert(...args: string[]): Promise<string> {
  const run = await cli('convert', ...args);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('mini-llama convert', () => {
  it('round-trips hf → llama2c → llama2c-v1 → hf with identical logits', async () => {
    const v0 = join(directory, 'model.bin');
    const v1 = join(directory, 'model-v1.bin');
    const hf = join(directory, 'back-to-hf');
    const printed = await convert(model, v0, '--to', 'llama2c');
    expect(printed).toContain('read hf (f32)');
    expect(printed).toMatch(/wrote llama2c \(f32\):\n {2}.*model\.bin {2}[\d.]+ KiB/);
    await convert(v0, v1, '--to', 'llama2c-v1');
    const back = await convert(v1, hf, '--to', 'hf');
    expect(back).toContain('read llama2c-v1 (f32)');
    expect(back).toContain(join(hf, 'config.json'));
    expect(back).toContain(join(hf, 'model.safetensors'));

    const reference = await logitsOf(model);
    for (const path of [v0, v1, hf]) expect([...(await logitsOf(path))]).toEqual([...reference]);
  });

  it('writes f16 and bf16 safetensors whose logits stay within 1e-2', async () => {
    const reference = await logitsOf(model);
    for (const dtype of ['f16', 'bf16']) {
      const out = join(directory, `model-${dtype}`);
      expect(await convert(model, out, '--to', 'hf', '--dtype', dtype)).toContain(`wrote hf (${dtype})`);
      const info = await cli('info', out, '--json');
      expect(JSON.parse(info.stdout).dtype).toBe(dtype);
      const logits = await logitsOf(out);
      const worst = Math.max(...logits.map((value, i) => Math.abs(value - reference[i]!)));
      expect(worst).toBeLessThan(1e-2);
      expect(worst).toBeGreaterThan(0); // half precision did round something
    }
  });

  it('rejects an unknown --to or --dtype, and half precision for llama2.c', async () => {
    const unknown = await cli('convert', model, join(directory, 'x'), '--to', 'gguf');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      "mini-llama convert: --to must be one of hf, llama2c, llama2c-v1, got 'gguf'\n",
    );
    const dtype = await cli('convert', model, join(directory, 'x'), '--to', 'hf', '--dtype', 'f64');
    expect(dtype.stderr).toBe("mini-llama convert: --dtype must be one of f32, f16, bf16, got 'f64'\n");
    const half = await cli('convert', model, join(directory, 'x.bin'), '--to', 'llama2c', '--dtype', 'f16');
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('llama2.c files store float32 only');
    const missing = await cli(
      'convert',
      join(directory, 'nope'),
      join(directory, 'x.bin'),
      '--to',
      'llama2c',
    );
    expect(missing.stderr).toBe(
      `mini-llama convert: ${join(directory, 'nope')}: no such file or directory\n`,
    );
  });
});
