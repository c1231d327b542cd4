import { useBackend } from '@mini-llama/backends';
import { LlamaModel } from '@mini-llama/model';
import { skipNote, TENSORFLOW_SKIP, WEBGPU_SKIP } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Trainer } from './index.js';
import { ArrayWindowSource } from './test-helpers.js';

// A short training run on WebGPU through Dawn (SwiftShader without a GPU: slow, so small) and on TensorFlow's
// C library (tfjs-node): the same weights and batches as on cpu give the same first-step loss, and the loss falls.
const config = { dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 24, maxSeqLen: 16, multipleOf: 16 };
const tokens = Array.from({ length: 400 }, (_, i) => (i * 7 + (i % 5)) % 24); // a learnable, periodic stream

async function train(backend: 'cpu' | 'webgpu' | 'tensorflow', steps: number): Promise<number[]> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const model = new LlamaModel(config, { seed: 3 });
  const trainer = new Trainer(model, {
    steps,
    batchSize: 4,
    clip: 1,
    optimizer: { weightDecay: 0.1 },
    schedule: { name: 'cosine', learningRate: 1e-2, warmupSteps: 2, minLearningRate: 1e-3 },
  });
  const source = new ArrayWindowSource(tokens, 12);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push((await trainer.trainStep(source)).loss);
  trainer.dispose();
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return losses;
}

describe.each([
  { backend: 'webgpu', skip: WEBGPU_SKIP },
  { backend: 'tensorflow', skip: TENSORFLOW_SKIP },
] as const)('training on $backend', ({ backend, skip }) => {
  it.skipIf(skip)(`starts from the loss cpu computes and brings it down${skipNote(skip)}`, async () => {
    const [onCpu] = await train('cpu', 1);
    const losses = await train(backend, 12);
    expect(losses[0]).toBeCloseTo(onCpu!, 4);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
  });
});
