import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { loadModel } from '@mini-llama/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../npy.js';
import { cli, saveTinyModel, temporaryDirectory } from '../testing.js';

let directory: string;
let model: string;

beforeAll(async () => {
  directory = await temporaryDirectory();
  model = await saveTinyModel(directory);
});

describe('mini-llama forward', () => {
  it('writes float32 logits [T, vocab] equal to LlamaModel.forward', async () => {
    const tokens = [1, 4, 30, 4, 0, 17];
    const out = join(directory, 'nested', 'logits.npy');
    const run = await cli(
      'forward',
      '--backend',
      'cpu',
      '--model',
      model,
      '--tokens',
      tokens.join(','),
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${out}: float32 [6, 32]`);
    expect(run.stderr).toContain('backend: cpu (requested explicitly)');
    const written = parseNpy(new Uint8Array(await readFile(out)));
    expect(written.shape).toEqual([tokens.length, 32]);

    await useBackend('cpu');
    const before = tf.memory().numTensors;
    const { model: reference } = await loadModel(model);
    const logits = tf.tidy(() => reference.forward(tf.tensor2d([tokens], [1, tokens.length], 'int32')));
    const expected = (await logits.data()) as Float32Array;
    logits.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect([...written.data]).toEqual([...expected]);
  });

  it('rejects tokens outside the vocabulary or beyond the context', async () => {
    const out = join(directory, 'bad.npy');
    const outside = await cli(
      'forward',
      '--backend',
      'cpu',
      '--model',
      model,
      '--tokens',
      '1,99',
      '--out',
      out,
    );
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(
      "mini-llama forward: --tokens: token id 99 is outside the model's vocabulary 0…31",
    );
    const long = Array.from({ length: 33 }, () => 1).join(',');
    const tooLong = await cli(
      'forward',
      '--backend',
      'cpu',
      '--model',
      model,
      '--tokens',
      long,
      '--out',
      out,
    );
    expect(tooLong.stderr).toContain(
      "mini-llama forward: --tokens: 33 tokens exceed the model's context of 32",
    );
    const missing = await cli('forward', '--model', model, '--tokens', '1');
    expect(missing.stderr).toBe("mini-llama forward: required option '--out <file>' not specified\n");
  });
});
