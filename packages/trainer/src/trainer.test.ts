import { useBackend } from '@mini-llama/backends';
import { IGNORE_INDEX, type TokenBatch } from '@mini-llama/data';
import { type LlamaConfigInput, LlamaModel } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NonFiniteLossError, Trainer, type TrainerConfig } from './index.js';
import { ArrayWindowSource, tokenStream } from './test-helpers.js';

const shape: LlamaConfigInput = {
  dim: 16,
  nLayers: 1,
  nHeads: 2,
  vocabSize: 23,
  maxSeqLen: 8,
  multipleOf: 8,
};
const base: TrainerConfig = {
  steps: 4,
  batchSize: 4,
  optimizer: { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 },
  schedule: { name: 'cosine', learningRate: 1e-2, minLearningRate: 1e-3, warmupSteps: 1 },
};

async function weightsOf(model: LlamaModel): Promise<Float32Array[]> {
  return Promise.all(Object.values(model.parameters()).map(async (v) => Float32Array.from(await v.data())));
}

describe.each(['cpu', 'wasm'] as const)('Trainer on %s', (backend) => {
  it('k micro-batches update exactly as one batch k times the size', async () => {
    await useBackend(backend);
    const tokens = tokenStream(400, 23);
    const run = async (batchSize: number, gradAccum: number) => {
      const model = new LlamaModel(shape, { seed: 3 });
      const trainer = new Trainer(model, { ...base, batchSize, gradAccum });
      const source = new ArrayWindowSource(tokens, 6);
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push((await trainer.trainStep(source)).loss);
      const weights = await weightsOf(model);
      trainer.dispose();
      model.dispose();
      return { losses, weights };
    };
    const whole = await run(4, 1);
    const accumulated = await run(1, 4);
    for (const [i, loss] of accumulated.losses.entries()) expect(loss).toBeCloseTo(whole.losses[i]!, 5);
    accumulated.weights.forEach((w, i) => {
      const worst = w.reduce((max, value, j) => Math.max(max, Math.abs(value - whole.weights[i]![j]!)), 0);
      expect(worst).toBeLessThan(1e-5);
    });
  });

  it('learns: the loss falls on a repeating sequence', async () => {
    await useBackend(backend);
    const model = new LlamaModel(shape, { seed: 4 });
    const trainer = new Trainer(model, {
      ...base,
      steps: 30,
      schedule: { name: 'constant', learningRate: 3e-2 },
    });
    const source = new ArrayWindowSource(
      Array.from({ length: 200 }, (_, i) => (i * 7) % 23),
      6,
    );
    const first = (await trainer.trainStep(source)).loss;
    let last = first;
    for (let i = 0; i < 29; i++) last = (await trainer.trainStep(source)).loss;
    expect(last).toBeLessThan(first * 0.5);
    trainer.dispose();
    model.dispose();
  });
});

describe('Trainer', () => {
  it('keeps the tensor count flat over a thousand steps', async () => {
    await useBackend('wasm');
    const model = new LlamaModel(shape, { seed: 5 });
    const trainer = new Trainer(model, { ...base, steps: 1001, gradAccum: 2, batchSize: 2 });
    const source = new ArrayWindowSource(tokenStream(500, 23), 6);
    await trainer.trainStep(source);
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) await trainer.trainStep(source);
    expect(tf.memory().numTensors).toBe(after1);
    trainer.dispose();
    model.dispose();
  });

  it('reports the gradient norm before clipping, and clips', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(shape, { seed: 6 });
    const trainer = new Trainer(model, { ...base, clip: 1e-3 });
    const metrics = await trainer.trainStep(new ArrayWindowSource(tokenStream(100, 23), 6));
    expect(metrics.gradNorm).toBeGreaterThan(1e-3);
    expect(metrics.lr).toBeCloseTo(1e-2, 12); // warm-up of 1 step: the first step runs at the peak
    trainer.dispose();
    model.dispose();
  });

  it('ignores -100 targets (LM fine-tuning with prompt tokens masked)', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(shape, { seed: 7 });
    const trainer = new Trainer(model, base);
    const inputs = Int32Array.from([1, 2, 3, 4]);
    const masked: TokenBatch = {
      inputs,
      targets: Int32Array.from([IGNORE_INDEX, IGNORE_INDEX, 4, 5]),
      batchSize: 1,
      seqLen: 4,
    };
    const full: TokenBatch = { inputs, targets: Int32Array.from([2, 3, 4, 5]), batchSize: 1, seqLen: 4 };
    const [a, b] = [await trainer.evaluate([masked]), await trainer.evaluate([full])];
    expect(a.loss).not.toBeCloseTo(b.loss, 3);
    trainer.dispose();
    model.dispose();
  });

  it('stops on a NaN loss naming the step, or skips it when asked', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(shape, { seed: 8 });
    const poisoned = (): tf.Scalar => tf.scalar(Number.NaN);
    const source = new ArrayWindowSource(tokenStream(100, 23), 6);
    const stopping = new Trainer(
      model,
      base,
      () => tf.mul(poisoned(), tf.sum(model.norm.weight)) as tf.Scalar,
    );
    const before = await weightsOf(model);
    await expect(stopping.trainStep(source)).rejects.toThrow(NonFiniteLossError);
    await expect(stopping.trainStep(source)).rejects.toThrow(
      /step 1: the loss is NaN; stopped before updating the weights/,
    );
    expect(await weightsOf(model)).toEqual(before);
    const skipping = new Trainer(
      model,
      { ...base, nonFinite: 'skip' },
      () => tf.mul(poisoned(), tf.sum(model.norm.weight)) as tf.Scalar,
    );
    const metrics = await skipping.trainStep(source);
    expect(metrics).toMatchObject({ step: 1, skipped: true });
    expect(skipping.skippedSteps).toBe(1);
    expect(await weightsOf(model)).toEqual(before);
    stopping.dispose();
    skipping.dispose();
    model.dispose();
  });

  it('validates its configuration', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(shape, { seed: 9 });
    expect(() => new Trainer(model, { ...base, gradAccum: 0 })).toThrow(
      /Trainer: gradAccum must be a positive integer, got 0/,
    );
    model.dispose();
  });
});
