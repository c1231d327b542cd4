import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { parseSafetensors, stateDictFromHfTensors } from '@mini-llama/formats';
import {
  skipNote,
  TENSORFLOW_SKIP,
  TENSORFLOW_TESTABLE,
  WEBGPU_SKIP,
  WEBGPU_TESTABLE,
} from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { generate } from '../index.js';
import { loadModel } from './index.js';

// The PyTorch parity checks of pytorch-parity.test.ts (which run on cpu and wasm), on the other backends: WebGPU
// through Dawn (SwiftShader without a GPU: slow, so a subset) and TensorFlow's C library through tfjs-node.
// WebGPU in Node has no synchronous read (tfjs reads through an OffscreenCanvas there), so everything here
// reads with `await data()`, as the library itself does.
const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const read = (name: string) => JSON.parse(readFileSync(fixtures + name, 'utf8'));

function maxError(expected: ArrayLike<number>, ours: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - ours[i]!));
  return worst;
}

describe.skipIf(!WEBGPU_TESTABLE)(`the model on webgpu matches PyTorch${skipNote(WEBGPU_SKIP)}`, () =>
  parityTests('webgpu'),
);
describe.skipIf(!TENSORFLOW_TESTABLE)(
  `the model on tensorflow matches PyTorch${skipNote(TENSORFLOW_SKIP)}`,
  () => parityTests('tensorflow'),
);

function parityTests(backend: 'webgpu' | 'tensorflow'): void {
  it.each([
    ['gqa_untied', 'hf'],
    ['mha_tied', 'llama2c.bin'],
  ])('logits of %s from %s', async (name, layout) => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const expected = read(`${name}.logits.json`) as { tokens: number[][]; logits: number[]; shape: number[] };
    const { model } = await loadModel(`${fixtures}${name}.${layout}`);
    const [B, T] = expected.shape as [number, number];
    const logits = tf.tidy(() => model.forward(tf.tensor2d(expected.tokens, [B, T], 'int32')));
    expect(maxError(expected.logits, await logits.data())).toBeLessThan(1e-4);
    logits.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('one training step through the fused head + loss: loss and every parameter gradient', async () => {
    await useBackend(backend);
    const step = read('gqa_untied.train_step.json') as {
      tokens: number[][];
      targets: number[][];
      loss: number;
    };
    const { model } = await loadModel(`${fixtures}gqa_untied.hf`);
    const gradFile = `${fixtures}gqa_untied.grads.safetensors`;
    const expectedGrads = stateDictFromHfTensors(
      parseSafetensors(new Uint8Array(readFileSync(gradFile)), gradFile).tensors,
      model.config,
      gradFile,
    );
    const parameters = model.parameters();
    const before = tf.memory().numTensors;
    const [B, T] = [step.tokens.length, step.tokens[0]!.length];
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() =>
          model.loss(tf.tensor2d(step.tokens, [B, T], 'int32'), tf.tensor2d(step.targets, [B, T], 'int32'), {
            chunkRows: 5,
          }),
        ),
      Object.values(parameters),
    );
    expect((await value.data())[0]).toBeCloseTo(step.loss, 5);
    // Our gradients go through a model's state dict to reach the file layout (Linear weights are [in, out]).
    for (const variable of Object.values(parameters)) variable.assign(grads[variable.name]!);
    const ours = await model.stateDict();
    for (const [hfName, expected] of expectedGrads) {
      expect(maxError(expected.data, ours.get(hfName)!.data), hfName).toBeLessThan(1e-5);
    }
    tf.dispose([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('greedy generation with the KV cache gives the tokens cpu gives', async () => {
    const tokensOn = async (name: 'cpu' | typeof backend) => {
      await useBackend(name);
      const { model } = await loadModel(`${fixtures}gqa_tied.hf`);
      const result = await generate(model, [[1, 5, 9]], { maxNewTokens: 6, temperature: 0 });
      model.dispose();
      return result.tokens;
    };
    expect(await tokensOn(backend)).toEqual(await tokensOn('cpu'));
  });
}
