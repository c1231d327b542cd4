import { useBackend } from '@mini-llama/backends';
import { LlamaModel } from '@mini-llama/model';
import { LoraModel } from '@mini-llama/peft-lora';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adapterAlphaSweep } from './index.js';

describe('adapterAlphaSweep', () => {
  it('scores each set at each α: 0 is the base model, 1 the adapter; the adapter is whole again after', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(
      { dim: 16, nLayers: 1, nHeads: 2, vocabSize: 20, maxSeqLen: 8 },
      { seed: 3 },
    );
    const stream = (seed: number) => Int32Array.from({ length: 40 }, (_, i) => (i * seed + 1) % 20);
    const sets = [
      { name: 'task', tokens: stream(7) },
      { name: 'pretraining', tokens: stream(3) },
    ];
    const loss = (tokens: Int32Array) =>
      tf.tidy(() => {
        const windows = 4; // (40 − 1) / 8, non-overlapping
        const x = Array.from({ length: windows }, (_, w) => Array.from(tokens.subarray(w * 8, w * 8 + 8)));
        const y = Array.from({ length: windows }, (_, w) =>
          Array.from(tokens.subarray(w * 8 + 1, w * 8 + 9)),
        );
        return model
          .loss(tf.tensor2d(x, undefined, 'int32'), tf.tensor2d(y, undefined, 'int32'))
          .dataSync()[0]!;
      });
    const baseLoss = loss(sets[0]!.tokens);
    const lora = new LoraModel(model, { r: 2, targetModules: 'all-linear' });
    for (const variable of Object.values(lora.trainableParameters())) {
      tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.5, 'float32', 1)));
    }
    const adaptedLoss = loss(sets[0]!.tokens);
    const before = tf.memory().numTensors;
    const points = await adapterAlphaSweep(lora, sets, { alphas: [0, 0.5, 1] });
    expect(tf.memory().numTensors).toBe(before);
    expect(points.map((point) => point.alpha)).toEqual([0, 0.5, 1]);
    expect(points[0]!.loss.task).toBeCloseTo(baseLoss, 5);
    expect(points[2]!.loss.task).toBeCloseTo(adaptedLoss, 5);
    expect(Object.keys(points[1]!.loss)).toEqual(['task', 'pretraining']);
    expect(loss(sets[0]!.tokens)).toBeCloseTo(adaptedLoss, 6); // full strength again
    await expect(adapterAlphaSweep(lora, sets, { alphas: [1.5] })).rejects.toThrow(
      /α must be in \[0, 1\], got 1\.5/,
    );
    lora.dispose();
    model.dispose();
  });
});
