import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, learningRateAt } from './index.js';

// test/fixtures/generate_fixtures.py: torch.optim.AdamW with clip_grad_norm_ and a warm-up + cosine schedule.
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/adamw-steps.json', import.meta.url)), 'utf8'),
) as {
  config: {
    learningRate: number;
    minLearningRate: number;
    warmupSteps: number;
    totalSteps: number;
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    maxNorm: number;
  };
  shapes: Record<string, number[]>;
  initial: Record<string, number[]>;
  steps: {
    lr: number;
    gradients: Record<string, number[]>;
    normBeforeClip: number;
    after: Record<string, number[]>;
  }[];
};

describe.each(['cpu', 'wasm'] as const)('AdamW on %s', (backend) => {
  it('matches torch.optim.AdamW with clipping and a cosine schedule, step by step', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const { config } = fixture;
    const parameters = Object.fromEntries(
      Object.entries(fixture.shapes).map(([name, shape]) => [
        name,
        tf.tidy(() => tf.variable(tf.tensor(fixture.initial[name]!, shape))),
      ]),
    );
    const optimizer = new AdamW(parameters, { ...config });
    expect(optimizer.decayingParameters().sort()).toEqual(['emb', 'w']);
    for (const [index, step] of fixture.steps.entries()) {
      const lr = learningRateAt(index, { name: 'cosine', ...config });
      expect(lr).toBeCloseTo(step.lr, 12);
      const raw = new Map(
        Object.entries(step.gradients).map(([name, values]) => [
          name,
          tf.tensor(values, fixture.shapes[name]!),
        ]),
      );
      const { gradients, norm } = await clipGradNorm(raw, config.maxNorm);
      expect(norm).toBeCloseTo(step.normBeforeClip, 4);
      optimizer.applyGradients(gradients, lr);
      tf.dispose([...raw.values(), ...gradients.values()]);
      for (const [name, expected] of Object.entries(step.after)) {
        const ours = parameters[name]!.dataSync();
        expected.forEach((value, i) => {
          expect(Math.abs(ours[i]! - value), `${name}[${i}] after step ${index}`).toBeLessThan(2e-6);
        });
      }
    }
    expect(optimizer.step).toBe(fixture.steps.length);
    optimizer.dispose();
    for (const variable of Object.values(parameters)) variable.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('AdamW state', () => {
  it('a restored optimizer continues exactly like the original', async () => {
    await useBackend('cpu');
    const make = () => ({
      w: tf.variable(
        tf.tensor2d([
          [1, -2],
          [3, 0.5],
        ]),
      ),
      b: tf.variable(tf.tensor1d([0.1, 0.2])),
    });
    const gradient = (k: number) => ({ w: tf.fill([2, 2], 0.3 * k - 0.5), b: tf.fill([2], 0.1 * k) });
    const original = make();
    const optimizer = new AdamW(original, { learningRate: 0.05, weightDecay: 0.1 });
    for (let k = 0; k < 3; k++) tf.tidy(() => optimizer.applyGradients(gradient(k)));
    const state = await optimizer.getState();
    const copy = { w: tf.variable(tf.clone(original.w)), b: tf.variable(tf.clone(original.b)) };
    const resumed = new AdamW(copy, { learningRate: 0.05, weightDecay: 0.1 });
    resumed.setState(state);
    for (let k = 3; k < 6; k++) {
      tf.tidy(() => optimizer.applyGradients(gradient(k)));
      tf.tidy(() => resumed.applyGradients(gradient(k)));
    }
    expect(copy.w.dataSync()).toEqual(original.w.dataSync());
    expect(copy.b.dataSync()).toEqual(original.b.dataSync());
    expect(resumed.step).toBe(6);
  });

  it('names what is wrong', async () => {
    await useBackend('cpu');
    const w = tf.variable(tf.zeros([2, 2]));
    expect(() => new AdamW({ w }, { learningRate: 0.1, beta2: 1 })).toThrow(
      /AdamW: beta2 must be in \[0, 1\), got 1/,
    );
    const optimizer = new AdamW({ w }, { learningRate: 0.1 });
    expect(() => optimizer.applyGradients({})).toThrow(/AdamW: no gradient for parameter w/);
    expect(() => tf.tidy(() => optimizer.applyGradients({ w: tf.zeros([3]) }))).toThrow(
      /AdamW: gradient of w has shape \[3\], the parameter \[2,2\]/,
    );
    expect(() => optimizer.setState({ step: 1, moments: new Map() }, 'ckpt/optimizer.safetensors')).toThrow(
      /ckpt\/optimizer\.safetensors: no moments for parameter w/,
    );
  });
});
