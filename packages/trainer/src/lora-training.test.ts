import { useBackend } from '@mini-llama/backends';
import { SequenceClassifier } from '@mini-llama/model';
import { LoraModel } from '@mini-llama/peft-lora';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { classificationObjective, languageModelObjective, Trainer } from './index.js';
import {
  PatternSource,
  sameBits,
  snapshot,
  LORA_TINY as TINY,
  ToyTaskSource,
  tinyModel,
} from './test-helpers.js';

const constant = (learningRate: number) => ({ name: 'constant' as const, learningRate });

describe.each(['cpu', 'wasm'] as const)('LoRA fine-tuning through the Trainer on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('LM: the loss falls, the base weights stay bit-identical, the optimizer holds adapter state only', async () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(1, { ...TINY, nLayers: 1 });
    // llama2.c's N(0, 0.02) head bounds the logits to about ±0.3, whatever the frozen-head model's hidden
    // state: give it the scale of a trained head, so that adapting the layers can move the loss.
    tf.tidy(() => model.lmHead!.weight.assign(tf.mul(model.lmHead!.weight, 25)));
    const base = snapshot(model.parameters());
    const lora = new LoraModel(model, { r: 4, alpha: 8, targetModules: 'all-linear', dropout: 0.05 });
    const trainable = lora.trainableParameters();
    const trainer = new Trainer(
      lora,
      { steps: 12, batchSize: 4, optimizer: { weightDecay: 0 }, schedule: constant(2e-2) },
      (adapted, batch) => languageModelObjective(adapted.llama, batch),
      trainable,
    );
    const source = new PatternSource(8, 40);
    const losses: number[] = [];
    await trainer.trainStep(source); // the first step may create what stays (nothing should)
    const settled = tf.memory().numTensors;
    for (let step = 1; step < 12; step++) losses.push((await trainer.trainStep(source)).loss);
    expect(tf.memory().numTensors).toBe(settled); // a training step leaks nothing
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 0.2);
    for (const [name, variable] of Object.entries(model.parameters())) {
      expect(sameBits(Float32Array.from(variable.dataSync()), base.get(name)!), name).toBe(true);
    }
    const { moments } = await trainer.optimizer.getState();
    expect([...moments.keys()]).toEqual(Object.keys(trainable));
    expect([...moments.keys()].every((name) => /\.lora_[AB]\.default\.weight$/.test(name))).toBe(true);
    trainer.dispose();
    lora.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('classification: the adapters and the copy of score learn the task; the base and its head stay', async () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(2, { ...TINY, nLayers: 1, vocabSize: 12 });
    const classifier = new SequenceClassifier(model, 2, { seed: 1 });
    const base = snapshot(classifier.parameters());
    const lora = new LoraModel(classifier, { r: 4, alpha: 16, targetModules: 'all-linear' });
    const trainer = new Trainer(
      lora,
      { steps: 40, batchSize: 8, optimizer: { weightDecay: 0 }, schedule: constant(2e-2) },
      (adapted, batch) => classificationObjective(adapted.classifier!, batch),
      lora.trainableParameters(),
    );
    const source = new ToyTaskSource();
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) losses.push((await trainer.trainStep(source)).loss);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) - 0.1);
    const { moments } = await trainer.optimizer.getState();
    expect([...moments.keys()]).toContain('base_model.model.score.modules_to_save.default.weight');
    expect(moments.size).toBe(7 * 2 + 1);
    lora.withAdaptersDisabled(() => {
      for (const [name, variable] of Object.entries(classifier.parameters())) {
        expect(sameBits(Float32Array.from(variable.dataSync()), base.get(name)!), name).toBe(true);
      }
    });
    trainer.dispose();
    lora.dispose();
    classifier.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
