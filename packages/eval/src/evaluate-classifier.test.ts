import { useBackend } from '@mini-llama/backends';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { argmax } from './calibration.js';
import { classificationMetrics } from './classification-metrics.js';
import { evaluateClassifier } from './evaluate-classifier.js';
import { TINY } from './test-helpers.js';

const tokenizer = new ByteTokenizer();
const examples = [
  { text: 'good', label: 0 },
  { text: 'a rather long and winding text', label: 1 },
  { text: 'meh', label: 2 },
  { text: 'x', label: 1 },
  { text: 'neither here nor there', label: 0 },
];

describe.each(['cpu', 'wasm'] as const)('evaluateClassifier on %s', (backend) => {
  it('predicts what the classifier predicts for each text alone, batched with padding', async () => {
    await useBackend(backend);
    const backbone = new LlamaModel({ ...TINY, maxSeqLen: 40 }, { seed: 8 });
    const classifier = new SequenceClassifier(backbone, 3, { seed: 9 });
    const before = tf.memory().numTensors;
    const result = await evaluateClassifier(classifier, examples, tokenizer, {
      batchSize: 3,
      labelNames: ['a', 'b', 'c'],
    });
    expect(tf.memory().numTensors).toBe(before);
    const alone = examples.map(({ text }) => {
      const ids = tokenizer.encode(text, { bos: true });
      return tf.tidy(() =>
        Array.from(classifier.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).dataSync()),
      );
    });
    alone.forEach((logits, i) => {
      logits.forEach((value, label) => {
        expect(Math.abs(value - result.logits[i]![label]!)).toBeLessThan(1e-5);
      });
    });
    expect(result.predictions).toEqual(alone.map(argmax));
    expect(result.metrics).toEqual(
      classificationMetrics(
        examples.map((example) => example.label),
        alone.map(argmax),
        ['a', 'b', 'c'],
      ),
    );
    classifier.dispose();
    backbone.dispose();
  });
});

describe('evaluateClassifier arguments', () => {
  it('needs one name per label', async () => {
    await useBackend('cpu');
    const backbone = new LlamaModel(TINY, { seed: 8 });
    const classifier = new SequenceClassifier(backbone, 3);
    await expect(
      evaluateClassifier(classifier, examples, tokenizer, { labelNames: ['a', 'b'] }),
    ).rejects.toThrow(/2 label names for a classifier of 3 labels/);
    classifier.dispose();
    backbone.dispose();
  });
});
