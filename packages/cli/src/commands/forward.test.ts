import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { parseNpy } from '@mini-llama/formats';
import { loadModel } from '@mini-llama/model/node';
import { loadAdapter } from '@mini-llama/peft-lora/node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, saveTinyAdapter, saveTinyModel, temporaryDirectory } from '../../test/cli-harness.js';

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
  it('--adapter: the logits of the base with the LoRA adapter (merged), as the unmerged library computes them', async () => {
    const adapter = await saveTinyAdapter(model, directory, {
      name: 'forward-adapter',
      config: { targetModules: 'all-linear' },
    });
    const tokens = [1, 4, 30, 4, 0, 17];
    const out = join(directory, 'adapted.npy');
    const run = await cli(
      'forward',
      '--backend',
      'cpu',
      '--model',
      model,
      '--adapter',
      adapter,
      '--tokens',
      tokens.join(','),
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`adapter: merged ${adapter} (14 modules)`);
    const written = parseNpy(new Uint8Array(await readFile(out)));

    await useBackend('cpu');
    const { model: reference } = await loadModel(model);
    const input = tf.tensor2d([tokens], [1, tokens.length], 'int32');
    const base = tf.tidy(() => reference.forward(input));
    const lora = await loadAdapter(reference, adapter); // not merged: the adapter path runs beside the weights
    const adapted = tf.tidy(() => reference.forward(input));
    const expected = adapted.dataSync();
    let worst = 0;
    expected.forEach((value, i) => {
      worst = Math.max(worst, Math.abs(value - written.data[i]!));
    });
    expect(worst).toBeLessThan(1e-5);
    const moved = Array.from(base.dataSync()).reduce(
      (max, value, i) => Math.max(max, Math.abs(value - expected[i]!)),
      0,
    );
    expect(moved).toBeGreaterThan(1e-3);
    tf.dispose([input, base, adapted]);
    lora.dispose();
    reference.dispose();

    const classification = await saveTinyAdapter(model, directory, { name: 'forward-cls', numLabels: 2 });
    const refused = await cli(
      'forward',
      '--backend',
      'cpu',
      '--model',
      model,
      '--adapter',
      classification,
      '--tokens',
      '1,2',
      '--out',
      out,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `mini-llama forward: ${join(classification, 'adapter_config.json')}: task_type is "SEQ_CLS" (a classification adapter): it needs a SequenceClassifier, this is a language model`,
    );
  });
});
