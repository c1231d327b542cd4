import { useBackend } from '@mini-llama/backends';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { verbalizerHead, zeroShotClassifierState } from './index.js';

const config = { dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 40, maxSeqLen: 16, multipleOf: 8 };

describe('verbalizerHead', () => {
  it('takes the first verbalizer token’s LM-head row, or the mean of its rows', () => {
    // vocab 4, dim 2: row t = [t, 10t]
    const lmHead = { shape: [4, 2], data: Float32Array.from([0, 0, 1, 10, 2, 20, 3, 30]) };
    expect(Array.from(verbalizerHead(lmHead, [[3, 1], [2]]).data)).toEqual([3, 30, 2, 20]);
    expect(Array.from(verbalizerHead(lmHead, [[3, 1], [2]], 'mean').data)).toEqual([2, 20, 2, 20]);
    expect(verbalizerHead(lmHead, [[3, 1], [2]]).shape).toEqual([2, 2]);
  });

  it('rejects tokens outside the vocabulary and empty verbalizers, naming the label', () => {
    const lmHead = { shape: [4, 2], data: new Float32Array(8) };
    expect(() => verbalizerHead(lmHead, [[1], [4]])).toThrow(
      'verbalizerHead: label 1 has token 4, outside the vocabulary of 4',
    );
    expect(() => verbalizerHead(lmHead, [[1], []])).toThrow(
      'verbalizerHead: label 1 has no verbalizer tokens',
    );
    expect(() => verbalizerHead(lmHead, [[1]])).toThrow('verbalizerHead: need at least 2 labels, got 1');
  });

  it.each([true, false])(
    'makes a classifier whose logits are the LM’s next-token logits of the verbalizers (tied head: %s)',
    async (tieEmbeddings) => {
      await useBackend('cpu');
      const before = tf.memory().numTensors;
      const lm = new LlamaModel({ ...config, tieEmbeddings }, { seed: 4 });
      const labelTokens = [[7, 3], [21], [30, 2]];
      const classifier = new SequenceClassifier(new LlamaModel({ ...config, tieEmbeddings }), 3);
      classifier.loadStateDict(zeroShotClassifierState(await lm.stateDict(), labelTokens));
      const tokens = tf.tensor2d([[1, 9, 4, 12, 5]], [1, 5], 'int32');
      const fromClassifier = tf.tidy(() => Array.from(classifier.logits(tokens).dataSync()));
      const nextToken = tf.tidy(() => lm.forward(tokens).arraySync()[0]![4]!);
      expect(fromClassifier).toHaveLength(3);
      for (const [label, logit] of fromClassifier.entries()) {
        expect(logit).toBeCloseTo(nextToken[labelTokens[label]![0]!]!, 5);
      }
      classifier.dispose();
      classifier.backbone.dispose();
      lm.dispose();
      tokens.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
