import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import type { TokenBatch } from '@mini-llama/data';
import { parseSafetensors, stateDictFromHfTensors } from '@mini-llama/formats';
import { loadModel } from '@mini-llama/model/node';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { type BatchSource, Trainer } from './index.js';

// test/fixtures/train_steps.py: PyTorch trains the gqa_untied fixture model with AdamW, a warm-up + cosine
// schedule, 2 accumulated micro-batches per update and global-norm clipping.
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const fixture = JSON.parse(readFileSync(here('../test/fixtures/train-steps.json'), 'utf8')) as {
  config: Record<string, number>;
  steps: { batches: { inputs: number[]; targets: number[] }[]; loss: number; lr: number; gradNorm: number }[];
};

describe.each(PARITY_BACKENDS)('training steps match PyTorch on %s', (backend) => {
  it('loss, learning rate, pre-clip gradient norm per step, and the final weights', async () => {
    await useBackend(backend);
    const { config } = fixture;
    const { model } = await loadModel(here('../../model/test/fixtures/gqa_untied.hf'));
    const trainer = new Trainer(model, {
      steps: config.steps!,
      batchSize: config.batchSize!,
      gradAccum: config.gradAccum!,
      clip: config.clip!,
      optimizer: {
        beta1: config.beta1!,
        beta2: config.beta2!,
        eps: config.eps!,
        weightDecay: config.weightDecay!,
      },
      schedule: {
        name: 'cosine',
        learningRate: config.learningRate!,
        minLearningRate: config.minLearningRate!,
        warmupSteps: config.warmupSteps!,
      },
    });
    const batches = fixture.steps.flatMap((step) => step.batches);
    let next = 0;
    const source: BatchSource = {
      nextBatch: (batchSize): TokenBatch => {
        const { inputs, targets } = batches[next++]!;
        return {
          inputs: Int32Array.from(inputs),
          targets: Int32Array.from(targets),
          batchSize,
          seqLen: config.seqLen!,
        };
      },
      getCursor: () => next,
      setCursor: (cursor) => {
        next = cursor as number;
      },
    };
    for (const expected of fixture.steps) {
      const metrics = await trainer.trainStep(source);
      expect(metrics.loss).toBeCloseTo(expected.loss, 5);
      expect(metrics.lr).toBeCloseTo(expected.lr, 12);
      expect(metrics.gradNorm).toBeCloseTo(expected.gradNorm, 4);
    }
    const finalFile = here('../test/fixtures/train-steps.final.safetensors');
    const expectedWeights = stateDictFromHfTensors(
      parseSafetensors(new Uint8Array(readFileSync(finalFile)), finalFile).tensors,
      model.config,
      finalFile,
    );
    // Adam divides by √v: where a gradient is tiny, float32 rounding of the gradient (cpu/wasm vs OpenBLAS)
    // changes m/√v noticeably, so after 4 updates of up to lr = 5e-3 each weight may differ by ~1% of one
    // update. 5e-5 allows that and still fails for any real difference (a wrong decay or bias correction
    // moves weights by ≥ 1e-4 here).
    const ours = await model.stateDict();
    for (const [name, tensor] of expectedWeights) {
      const values = ours.get(name)!.data;
      const worst = tensor.data.reduce((max, value, i) => Math.max(max, Math.abs(value - values[i]!)), 0);
      expect(worst, name).toBeLessThan(5e-5);
    }
    trainer.dispose();
    model.dispose();
  });
});
