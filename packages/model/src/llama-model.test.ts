import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { LlamaModel } from './index.js';

it('smoke', async () => {
  await useBackend('wasm');
  const model = new LlamaModel({ dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 50, maxSeqLen: 16, multipleOf: 8 }, { seed: 1 });
  const logits = tf.tidy(() => model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')));
  expect(logits.shape).toEqual([1, 3, 50]);
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.mean(model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')))) as tf.Scalar);
  expect(Object.keys(grads).length).toBe(Object.keys(model.parameters()).length);
  tf.dispose([logits, value, grads]);
  model.dispose();
});
