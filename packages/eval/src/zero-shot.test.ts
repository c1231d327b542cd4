import { useBackend } from '@mini-llama/backends';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { labelProbabilities } from './calibration.js';
import type { PromptTemplate } from './prompt-template.js';
import { bigramLogProb, bigramModel } from './test-helpers.js';
import { verbalizerScores } from './verbalizer-scores.js';
import { evaluateZeroShot, zeroShotClassify } from './zero-shot.js';

const bytes = new ByteTokenizer();
const byte = (char: string) => char.charCodeAt(0) + 3; // ByteTokenizer ids of ASCII characters

describe('zero-shot classification on a hand-set bigram model', () => {
  // Template "{text}", labels "x" and "y": the label is predicted from the text's last byte alone.
  const prompt: PromptTemplate = { template: '{text}', verbalizers: ['x', 'y'] };
  const [X, Y] = [byte('x'), byte('y')];
  const rows: Record<string, Record<number, number>> = {
    p: { [X]: 2, [Y]: 1 }, // leans x
    q: { [X]: 2, [Y]: 1.5 }, // leans x, barely
    r: { [X]: 0, [Y]: 2 }, // y
    s: { [X]: 6, [Y]: 1 }, // x, strongly
    A: { [X]: 3, [Y]: 1 }, // "N/A" ends in A: the prompt alone leans x
  };
  const model = () =>
    bigramModel(Object.fromEntries(Object.entries(rows).map(([char, row]) => [byte(char), row])));
  const texts = ['cap', 'caq', 'car', 'cas'];

  it('scores labels as computed by hand', async () => {
    await useBackend('cpu');
    const bigram = model();
    const before = tf.memory().numTensors;
    const scores = await verbalizerScores(bigram, bytes, texts, prompt);
    expect(tf.memory().numTensors).toBe(before);
    texts.forEach((text, t) => {
      const row = rows[text.at(-1)!]!;
      expect(scores[t]![0]).toBeCloseTo(bigramLogProb(row, X), 4);
      expect(scores[t]![1]).toBeCloseTo(bigramLogProb(row, Y), 4);
    });
    bigram.dispose();
  });

  it('calibration removes the bias of the content-free input and flips the weak predictions', async () => {
    await useBackend('cpu');
    const bigram = model();
    const plain = await zeroShotClassify(bigram, bytes, texts, prompt);
    const calibrated = await zeroShotClassify(bigram, bytes, texts, prompt, { calibrate: true });
    expect(plain.predictions).toEqual([0, 0, 1, 0]);
    expect(plain.contentFreeProbabilities).toBeNull();
    // by hand: p_cf = softmax([3, 1]); a text's p = softmax([lx, ly]) divided by p_cf, renormalised
    const contentFree = labelProbabilities([3, 1]);
    expect(calibrated.contentFreeProbabilities![0]).toBeCloseTo(contentFree[0]!, 5);
    texts.forEach((text, t) => {
      const row = rows[text.at(-1)!]!;
      const p = labelProbabilities([row[X]!, row[Y]!]).map((value, label) => value / contentFree[label]!);
      const total = p[0]! + p[1]!;
      expect(calibrated.scores[t]![0]).toBeCloseTo(Math.log(p[0]! / total), 4);
      expect(calibrated.scores[t]![1]).toBeCloseTo(Math.log(p[1]! / total), 4);
    });
    expect(calibrated.predictions).toEqual([1, 1, 1, 0]); // p and q flip to y; s is x beyond the bias
    expect(calibrated.rawScores).toEqual(plain.scores);
    // given content-free probabilities are used as they are: uniform ones change nothing
    const uniform = await zeroShotClassify(bigram, bytes, texts, prompt, {
      calibrate: true,
      contentFreeProbabilities: [0.5, 0.5],
    });
    expect(uniform.predictions).toEqual(plain.predictions);
    expect(uniform.contentFreeProbabilities).toEqual([0.5, 0.5]);
    bigram.dispose();
  });

  it('evaluateZeroShot reports metrics of the predictions', async () => {
    await useBackend('cpu');
    const bigram = model();
    const examples = texts.map((text, i) => ({ text, label: [1, 1, 1, 0][i]! }));
    const plain = await evaluateZeroShot(bigram, bytes, examples, prompt);
    const calibrated = await evaluateZeroShot(bigram, bytes, examples, prompt, {
      calibrate: { contentFree: ['N/A', 'N/A'] },
    });
    expect(plain.metrics.accuracy).toBe(0.5); // predicts x, x, y, x
    expect(calibrated.metrics.accuracy).toBe(1);
    expect(plain.metrics.labelNames).toEqual(['x', 'y']);
    bigram.dispose();
  });
});
