import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, saveTinyModel, temporaryDirectory } from '../../test/cli-harness.js';

// TINY_CONFIG by hand: hidden = 8·ceil((2·4·16/3 → 42) / 8) = 48, kv width = 8.
// Per layer: q, o 16·16 each; k, v 16·8 each; three 16·48 feed-forward matrices; two norms of 16.
// Total: embedding 32·16 (tied head) + 2 · (512 + 256 + 2304 + 32) + final norm 16 = 6736.
const PARAMETERS = 6736;

let directory: string;
let model: string;

beforeAll(async () => {
  directory = await temporaryDirectory();
  model = await saveTinyModel(directory);
});

describe('mini-llama info', () => {
  it('prints format, dtype, config, the parameter count and file sizes', async () => {
    const run = await cli('info', model);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('format      hf');
    expect(run.stdout).toContain('dtype       f32');
    expect(run.stdout).toContain(`parameters  ${PARAMETERS.toLocaleString('en-US')} (6.7K)`);
    expect(run.stdout).toMatch(/ {2}hiddenDim {11}48\n/);
    expect(run.stdout).toContain(join(model, 'model.safetensors'));
  });

  it('--json gives the same facts as one object', async () => {
    const run = await cli('info', model, '--json');
    const info = JSON.parse(run.stdout) as {
      format: string;
      dtype: string;
      parameters: number;
      config: Record<string, unknown>;
      files: { path: string; bytes: number }[];
    };
    expect(info.format).toBe('hf');
    expect(info.parameters).toBe(PARAMETERS);
    expect(info.config).toMatchObject({
      dim: 16,
      nLayers: 2,
      nHeads: 2,
      nKvHeads: 1,
      vocabSize: 32,
      hiddenDim: 48,
    });
    const weights = join(model, 'model.safetensors');
    expect(info.files).toContainEqual({ path: weights, bytes: (await stat(weights)).size });
  });

  it('reads a llama2.c file too', async () => {
    const bin = join(directory, 'tiny.bin');
    await cli('convert', model, bin, '--to', 'llama2c-v1');
    const info = JSON.parse((await cli('info', bin, '--json')).stdout) as {
      format: string;
      parameters: number;
    };
    expect(info).toMatchObject({ format: 'llama2c-v1', parameters: PARAMETERS });
  });

  it('names a path that is not a weight file', async () => {
    const run = await cli('info', join(directory, 'missing'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`mini-llama info: ${join(directory, 'missing')}: no such file or directory\n`);
  });
});
