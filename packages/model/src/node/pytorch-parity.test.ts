import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { parseSafetensors, stateDictFromHfTensors } from '@mini-llama/formats';
import { crossEntropy } from '@mini-llama/layers';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LlamaModel } from '../index.js';
import { loadModel } from './index.js';

// Golden values from test/fixtures/generate_fixtures.py: an independent PyTorch Llama with random weights,
// saved in llama2.c v0/v1 and HF layouts, with its logits and one training step's gradients.
const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const read = (name: string) => JSON.parse(readFileSync(fixtures + name, 'utf8'));

interface LogitsFixture {
  tokens: number[][];
  logits: number[];
  shape: [number, number, number];
}

async function maxLogitError(modelPath: string, expected: LogitsFixture): Promise<number> {
  const { model } = await loadModel(fixtures + modelPath);
  const [B, T] = expected.shape;
  const logits = tf.tidy(() => model.forward(tf.tensor2d(expected.tokens, [B, T], 'int32')));
  expect(logits.shape).toEqual(expected.shape);
  const ours = logits.dataSync();
  let worst = 0;
  expected.logits.forEach((value, i) => {
    worst = Math.max(worst, Math.abs(value - ours[i]!));
  });
  logits.dispose();
  model.dispose();
  return worst;
}

const cases = ['mha_tied', 'gqa_untied', 'mha_untied', 'gqa_tied'];
const layouts = ['llama2c.bin', 'v1.bin', 'hf'];

describe.each(PARITY_BACKENDS)('logits match PyTorch on %s', (backend) => {
  it.each(cases.flatMap((name) => layouts.map((layout) => [name, layout])))(
    '%s from %s',
    async (name, layout) => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      expect(await maxLogitError(`${name}.${layout}`, read(`${name}.logits.json`))).toBeLessThan(1e-4);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('from a sharded HF checkpoint', async () => {
    await useBackend(backend);
    expect(await maxLogitError('gqa_tied.hf-sharded', read('gqa_tied.logits.json'))).toBeLessThan(1e-4);
  });

  it.each(['f16', 'bf16'])('from %s weights, as PyTorch computes with them', async (dtype) => {
    await useBackend(backend);
    const expected = read(`gqa_tied.hf-${dtype}.logits.json`);
    expect(await maxLogitError(`gqa_tied.hf-${dtype}`, expected)).toBeLessThan(1e-4);
  });
});

const lossPaths = {
  'crossEntropy(forward)': (model: LlamaModel, x: tf.Tensor, y: tf.Tensor) =>
    crossEntropy(model.forward(x), y),
  'model.loss (fused head)': (model: LlamaModel, x: tf.Tensor, y: tf.Tensor) =>
    model.loss(x, y, { chunkRows: 5 }),
};

describe.each(PARITY_BACKENDS)('one training step matches PyTorch on %s', (backend) => {
  it.each(['gqa_untied', 'mha_tied'].flatMap((name) => Object.keys(lossPaths).map((path) => [name, path])))(
    '%s through %s: loss and every parameter gradient',
    async (name, path) => {
      await useBackend(backend);
      const step = read(`${name}.train_step.json`) as {
        tokens: number[][];
        targets: number[][];
        loss: number;
      };
      const { model } = await loadModel(`${fixtures}${name}.hf`);
      const gradFile = `${fixtures}${name}.grads.safetensors`;
      const expectedGrads = stateDictFromHfTensors(
        parseSafetensors(new Uint8Array(readFileSync(gradFile)), gradFile).tensors,
        model.config,
        gradFile,
      );
      const parameters = model.parameters();
      // Compare in the file layout: our Linear weights are [in, out], so their gradients are transposed.
      const probe = new LlamaModel(model.config, { init: 'none' });
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const [B, T] = [step.tokens.length, step.tokens[0]!.length];
            const lossOf = lossPaths[path as keyof typeof lossPaths];
            return lossOf(
              model,
              tf.tensor2d(step.tokens, [B, T], 'int32'),
              tf.tensor2d(step.targets, [B, T], 'int32'),
            );
          }),
        Object.values(parameters),
      );
      expect(value.dataSync()[0]).toBeCloseTo(step.loss, 5);
      for (const [hfName, variable] of Object.entries(parameters)) {
        tf.tidy(() => probe.parameters()[hfName]!.assign(grads[variable.name]!));
      }
      const ourGrads = await probe.stateDict();
      for (const [hfName, expected] of expectedGrads) {
        const ours = ourGrads.get(hfName)!;
        let worst = 0;
        expected.data.forEach((g, i) => {
          worst = Math.max(worst, Math.abs(g - ours.data[i]!));
        });
        expect(worst, hfName).toBeLessThan(1e-5);
      }
      tf.dispose([value, grads]);
      expect(tf.memory().numTensors).toBe(before);
      probe.dispose();
      model.dispose();
    },
  );
});
