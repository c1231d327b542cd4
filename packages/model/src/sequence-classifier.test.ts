import { useBackend } from '@mini-llama/backends';
import { crossEntropy } from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LlamaModel, SequenceClassifier } from './index.js';

const shape = { dim: 16, nLayers: 2, nHeads: 2, vocabSize: 30, maxSeqLen: 12, multipleOf: 8 };

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe.each(['cpu', 'wasm'] as const)('SequenceClassifier on %s', (backend) => {
  it('reads the last real token: left, right and no padding agree', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const backbone = new LlamaModel(shape, { seed: 1 });
    const classifier = new SequenceClassifier(backbone, 3, { seed: 2 });
    const [short, long] = [
      [1, 5, 9],
      [1, 4, 4, 8, 2],
    ];
    const [alone, right, left] = tf.tidy(() => [
      tf.concat([
        classifier.logits(tf.tensor2d([short], [1, 3], 'int32')),
        classifier.logits(tf.tensor2d([long], [1, 5], 'int32')),
      ]),
      classifier.logits(
        tf.tensor2d([[...short, 0, 0], long], [2, 5], 'int32'),
        Uint8Array.of(1, 1, 1, 0, 0, 1, 1, 1, 1, 1),
      ),
      classifier.logits(
        tf.tensor2d([[0, 0, ...short], long], [2, 5], 'int32'),
        Uint8Array.of(0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
      ),
    ]);
    expect(alone!.shape).toEqual([2, 3]);
    expect(maxAbsDiff(alone!, right!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(alone!, left!)).toBeLessThan(1e-5);
    tf.dispose([alone!, right!, left!]);
    classifier.dispose();
    backbone.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains the head and the backbone', async () => {
    await useBackend(backend);
    const backbone = new LlamaModel(shape, { seed: 3 });
    const classifier = new SequenceClassifier(backbone, 2);
    const variables = classifier.parameters();
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() =>
          crossEntropy(
            classifier.logits(
              tf.tensor2d(
                [
                  [1, 2, 0],
                  [3, 4, 5],
                ],
                [2, 3],
                'int32',
              ),
              Uint8Array.of(1, 1, 0, 1, 1, 1),
            ),
            tf.tensor1d([0, 1], 'int32'),
          ),
        ),
      Object.values(variables),
    );
    const norm = (name: string) => tf.tidy(() => tf.norm(grads[variables[name]!.name]!).dataSync()[0]!);
    expect(norm('score.weight')).toBeGreaterThan(0);
    expect(norm('model.layers.0.self_attn.q_proj.weight')).toBeGreaterThan(0);
    tf.dispose([value, grads]);
    classifier.dispose();
    backbone.dispose();
  });
});

describe('SequenceClassifier weights', () => {
  it('round-trips its state dict with score.weight in HF layout [numLabels, dim]', async () => {
    await useBackend('cpu');
    const a = new SequenceClassifier(new LlamaModel(shape, { seed: 4 }), 4, { seed: 5 });
    const b = new SequenceClassifier(new LlamaModel(shape, { init: 'none' }), 4);
    const stateDict = await a.stateDict();
    expect(stateDict.get('score.weight')!.shape).toEqual([4, 16]);
    b.loadStateDict(stateDict);
    const tokens = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    expect(maxAbsDiff(a.logits(tokens), b.logits(tokens))).toBe(0);
    stateDict.delete('score.weight');
    expect(() => b.loadStateDict(stateDict, 'ckpt')).toThrow(/ckpt: missing tensor score\.weight/);
  });

  it('names bad input', async () => {
    await useBackend('cpu');
    const backbone = new LlamaModel(shape, { init: 'none' });
    expect(() => new SequenceClassifier(backbone, 1)).toThrow(/numLabels must be an integer ≥ 2, got 1/);
    const classifier = new SequenceClassifier(backbone, 2);
    const tokens = tf.tensor2d([[0, 0]], [1, 2], 'int32');
    expect(() => classifier.logits(tokens, Uint8Array.of(0, 0))).toThrow(
      /row 0 of the attention mask has no real token/,
    );
  });
});
