import { useBackend } from '@mini-llama/backends';
import type { TokenBatch } from '@mini-llama/data';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BatchSource, classificationObjective, Trainer } from './index.js';

const shape = { dim: 16, nLayers: 1, nHeads: 2, vocabSize: 12, maxSeqLen: 8, multipleOf: 8 };

/**
 * A toy task: label 1 when the sequence contains token 7, else 0; rows of 2–5 tokens, right-padded with 0.
 * Deterministic, so a trained classifier must really have learned from the content.
 */
function toyBatches(count: number, batchSize: number, seed = 1): TokenBatch[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const seqLen = 5;
  return Array.from({ length: count }, () => {
    const inputs = new Int32Array(batchSize * seqLen);
    const attentionMask = new Uint8Array(batchSize * seqLen);
    const labels = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      const length = 2 + next(4);
      const positive = next(2) === 1;
      for (let t = 0; t < length; t++) {
        inputs[b * seqLen + t] = 1 + next(5); // 1…5: never 7
        attentionMask[b * seqLen + t] = 1;
      }
      if (positive) inputs[b * seqLen + next(length)] = 7;
      labels[b] = positive ? 1 : 0;
    }
    return { inputs, targets: new Int32Array(batchSize * seqLen), batchSize, seqLen, labels, attentionMask };
  });
}

function sourceOf(batches: TokenBatch[]): BatchSource {
  let next = 0;
  return {
    nextBatch: () => batches[next++ % batches.length]!,
    getCursor: () => next,
    setCursor: (cursor) => {
      next = cursor as number;
    },
  };
}

describe('classification fine-tuning', () => {
  it('learns a toy task on the last real token of right-padded rows', async () => {
    await useBackend('wasm');
    const backbone = new LlamaModel(shape, { seed: 1 });
    const classifier = new SequenceClassifier(backbone, 2, { seed: 1 });
    const trainer = new Trainer(
      classifier,
      {
        steps: 60,
        batchSize: 8,
        optimizer: { weightDecay: 0 },
        schedule: { name: 'constant', learningRate: 1e-2 },
      },
      classificationObjective,
    );
    const held = toyBatches(4, 8, 99);
    const before = await trainer.evaluate(held);
    const source = sourceOf(toyBatches(20, 8));
    for (let i = 0; i < 60; i++) await trainer.trainStep(source);
    const after = await trainer.evaluate(held);
    expect(after.loss).toBeLessThan(before.loss * 0.5);
    // accuracy on the held-out batches
    let correct = 0;
    for (const batch of held) {
      const predictions = tf.tidy(() =>
        tf
          .argMax(classifier.logits(tf.tensor2d(batch.inputs, [8, 5], 'int32'), batch.attentionMask), 1)
          .dataSync(),
      );
      predictions.forEach((p, b) => {
        if (p === batch.labels![b]) correct++;
      });
    }
    expect(correct / 32).toBeGreaterThan(0.85);
    trainer.dispose();
    classifier.dispose();
    backbone.dispose();
  });

  it('trains only the given parameters: the frozen backbone stays bit-identical', async () => {
    await useBackend('cpu');
    const backbone = new LlamaModel(shape, { seed: 2 });
    const classifier = new SequenceClassifier(backbone, 2);
    const frozen = backbone.parameters()['model.layers.0.self_attn.q_proj.weight']!.dataSync().slice();
    const head = classifier.score.weight.dataSync().slice();
    const trainer = new Trainer(
      classifier,
      { steps: 3, batchSize: 4, optimizer: {}, schedule: { name: 'constant', learningRate: 1e-2 } },
      classificationObjective,
      { 'score.weight': classifier.score.weight },
    );
    const source = sourceOf(toyBatches(3, 4));
    for (let i = 0; i < 3; i++) await trainer.trainStep(source);
    expect(backbone.parameters()['model.layers.0.self_attn.q_proj.weight']!.dataSync()).toEqual(frozen);
    expect(classifier.score.weight.dataSync()).not.toEqual(head);
    trainer.dispose();
    classifier.dispose();
    backbone.dispose();
  });
});
