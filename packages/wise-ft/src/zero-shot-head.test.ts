import { useBackend } from '@mini-llama/backends';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { centredHead, labelWordsHead, verbalizerHead, zeroShotClassifierState } from './index.js';

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

describe('labelWordsHead', () => {
  it('averages each word’s mean row, then the words of a label', () => {
    // vocab 4, dim 2: row t = [t, 10t]
    const lmHead = { shape: [4, 2], data: Float32Array.from([0, 0, 1, 10, 2, 20, 3, 30]) };
    // label 0: words [3, 1] (mean 2) and [0] → 1; label 1: the one word [2] → 2
    const head = labelWordsHead(lmHead, [[[3, 1], [0]], [[2]]]);
    expect(head.shape).toEqual([2, 2]);
    expect(Array.from(head.data)).toEqual([1, 10, 2, 20]);
  });

  it('names a label without words and refuses a single label', () => {
    const lmHead = { shape: [4, 2], data: new Float32Array(8) };
    expect(() => labelWordsHead(lmHead, [[[1]], []])).toThrow('labelWordsHead: label 1 has no label words');
    expect(() => labelWordsHead(lmHead, [[[1]]])).toThrow('labelWordsHead: need at least 2 labels, got 1');
  });
});

describe('centredHead', () => {
  it('takes the direction out of every row and keeps what is orthogonal to it', () => {
    const head = { shape: [2, 3], data: Float32Array.from([1, 2, 3, -4, 0, 5]) };
    const direction = Float32Array.from([0, 0, 2]); // the z axis
    const centred = centredHead(head, direction);
    expect(Array.from(centred.data)).toEqual([1, 2, 0, -4, 0, 0]);
    expect(Array.from(head.data)).toEqual([1, 2, 3, -4, 0, 5]); // the input is left as it was
  });

  it('gives the calibrated scores w·(h − h̄) exactly when every h has the same component along h̄', () => {
    const head = { shape: [3, 4], data: Float32Array.from([1, -2, 0.5, 3, 0, 1, 1, -1, 2, 2, -3, 0.25]) };
    const mean = Float32Array.from([1, 1, 0, 2]);
    const unit = mean.map((v) => v / Math.hypot(...mean));
    const along = Math.hypot(...mean); // every h below projects onto the unit vector as h̄ does
    const offsets = [Float32Array.from([2, -2, 1, 0]), Float32Array.from([0, 0, -5, 0])]; // ⟂ h̄
    const centred = centredHead(head, mean);
    for (const offset of offsets) {
      const h = offset.map((v, i) => v + along * unit[i]!);
      for (let c = 0; c < 3; c++) {
        const row = head.data.subarray(c * 4, c * 4 + 4);
        const calibrated = row.reduce((sum, w, i) => sum + w * (h[i]! - mean[i]!), 0);
        const ours = centred.data.subarray(c * 4, c * 4 + 4).reduce((sum, w, i) => sum + w * h[i]!, 0);
        expect(ours).toBeCloseTo(calibrated, 5);
      }
    }
  });

  it('refuses a direction of the wrong size or of zero length', () => {
    const head = { shape: [2, 2], data: new Float32Array(4) };
    expect(() => centredHead(head, new Float32Array(3))).toThrow(
      'a head of [2,2] and a direction of 3 values',
    );
    expect(() => centredHead(head, new Float32Array(2))).toThrow('the direction must be finite and non-zero');
  });
});
