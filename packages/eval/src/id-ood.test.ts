import { useBackend } from '@mini-llama/backends';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { evaluateClassifier } from './evaluate-classifier.js';
import {
  classifierPredictor,
  evaluateIdOod,
  type Predictor,
  predictIdOod,
  zeroShotPredictor,
} from './id-ood.js';
import { SST2_PROMPT } from './prompt-template.js';
import { TINY } from './test-helpers.js';
import { zeroShotClassify } from './zero-shot.js';

const labelNames = ['negative', 'positive'];
const set = (name: string, rows: [string, number][]) => ({
  name,
  examples: rows.map(([text, label]) => ({ text, label })),
});
const id = set('sst2', [
  ['good film', 1],
  ['bad film', 0],
  ['good plot', 1],
  ['bad plot', 0],
]);
const amazon = set('amazon', [
  ['good phone', 1],
  ['bad phone', 0],
  ['fine phone', 1],
  ['awful phone', 0],
]);
const yelp = set('yelp', [
  ['good food', 1],
  ['lovely food', 1],
]);

describe('evaluateIdOod', () => {
  it('scores one predictor on the ID set and every OOD set, with the unweighted OOD mean', async () => {
    const keyword: Predictor = async (texts) => texts.map((text) => (text.includes('good') ? 1 : 0));
    const report = await evaluateIdOod(keyword, { id, ood: [amazon, yelp], labelNames });
    expect(report.id).toEqual({ name: 'sst2', accuracy: 1, macroF1: 1, n: 4 });
    // amazon: "fine phone" missed → accuracy 3/4; negative P 2/3 R 1 → 0.8, positive P 1 R 1/2 → 2/3
    expect(report.ood[0]!.accuracy).toBe(0.75);
    expect(report.ood[0]!.macroF1).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
    // yelp: "lovely food" predicted negative → 1/2
    expect(report.ood[1]).toMatchObject({ name: 'yelp', accuracy: 0.5, n: 2 });
    expect(report.oodMean!.accuracy).toBeCloseTo((0.75 + 0.5) / 2, 12);
    expect(report.oodMean!.macroF1).toBeCloseTo((report.ood[0]!.macroF1 + report.ood[1]!.macroF1) / 2, 12);
    expect((await evaluateIdOod(keyword, { id, ood: [], labelNames })).oodMean).toBeNull();
  });

  it('keeps the labels and predictions beside the report (predictIdOod)', async () => {
    const keyword: Predictor = async (texts) => texts.map((text) => (text.includes('good') ? 1 : 0));
    const result = await predictIdOod(keyword, { id, ood: [amazon, yelp], labelNames });
    expect(result.report).toEqual(await evaluateIdOod(keyword, { id, ood: [amazon, yelp], labelNames }));
    expect(result.id).toEqual({ name: 'sst2', labels: [1, 0, 1, 0], predictions: [1, 0, 1, 0] });
    expect(result.ood.map((entry) => entry.predictions)).toEqual([
      [1, 0, 0, 0],
      [1, 0],
    ]);
    expect(result.ood[1]!.labels).toEqual([1, 1]);
  });

  it('runs classifiers and zero-shot prompts through the same call', async () => {
    await useBackend('cpu');
    const tokenizer = new ByteTokenizer();
    const backbone = new LlamaModel({ ...TINY, maxSeqLen: 48 }, { seed: 2 });
    const classifier = new SequenceClassifier(backbone, 2, { seed: 3 });
    const before = tf.memory().numTensors;
    const fineTuned = await evaluateIdOod(classifierPredictor(classifier, tokenizer), {
      id,
      ood: [amazon],
      labelNames,
    });
    const direct = await evaluateClassifier(classifier, amazon.examples, tokenizer, { labelNames });
    expect(fineTuned.ood[0]).toEqual({
      name: 'amazon',
      accuracy: direct.metrics.accuracy,
      macroF1: direct.metrics.macroF1,
      n: 4,
    });

    const predict = zeroShotPredictor(backbone, tokenizer, SST2_PROMPT, { calibrate: true });
    const zeroShot = await evaluateIdOod(predict, { id, ood: [amazon, yelp], labelNames });
    const expected = await zeroShotClassify(
      backbone,
      tokenizer,
      id.examples.map((e) => e.text),
      SST2_PROMPT,
      {
        calibrate: true,
      },
    );
    const accuracy = expected.predictions.filter((p, i) => p === id.examples[i]!.label).length / 4;
    expect(zeroShot.id.accuracy).toBe(accuracy);
    expect(zeroShot.ood).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
    classifier.dispose();
    backbone.dispose();
  });
});
