import { describe, expect, it } from 'vitest';
import { STUDY_PLANS, type StudyState, studyReport } from './index.js';

const evaluation = (accuracy: number, oodMean: number | null) => ({
  accuracy,
  macroF1: accuracy - 0.1,
  n: 100,
  confusion: [
    [40, 10],
    [20, 30],
  ],
  labelNames: ['negative', 'positive'],
  idOod:
    oodMean === null
      ? null
      : { ood: [{ name: 'tsv:ood.tsv', accuracy: oodMean }], oodMean: { accuracy: oodMean } },
});

/** A finished study's state, as the stages leave it. */
const state: StudyState = {
  done: {
    data: {
      task: 'sentiment',
      corpusDocuments: 1200,
      corpusBytes: 340_000,
      labelNames: ['negative', 'positive'],
      sizes: { train: 400, test: 100 },
      ood: [{ name: 'ood.tsv', spec: 'tsv:/x/ood.tsv', n: 100 }],
    },
    perplexity: { perplexity: 42.5, bitsPerByte: 1.8, tokens: 5000, nll: 3.75 },
    continuations: [{ prompt: 'The jury said', continuation: ' that it was late.' }],
    'zero-shot': evaluation(0.55, 0.52),
    evaluate: {
      full: evaluation(0.8, 0.6),
      lora: evaluation(0.75, 0.62),
      shares: { full: 10_000, lora: 400, loraMatrices: 380, head: 20, loraShare: 0.04 },
    },
    'wise-ft': {
      chosenAlpha: 0.5,
      id: 'tsv:test.tsv',
      ood: ['tsv:ood.tsv'],
      results: [
        { alpha: 0, accuracy: { 'tsv:test.tsv': 0.55, 'tsv:ood.tsv': 0.52 }, oodMean: 0.52 },
        { alpha: 0.5, accuracy: { 'tsv:test.tsv': 0.81, 'tsv:ood.tsv': 0.66 }, oodMean: 0.66 },
        { alpha: 1, accuracy: { 'tsv:test.tsv': 0.8, 'tsv:ood.tsv': 0.6 }, oodMean: 0.6 },
      ],
    },
  },
};

describe('studyReport', () => {
  const plan = STUDY_PLANS.quick;
  const curves = [
    { step: 1, loss: 5, split: 'train' as const, run: 'pretrain' },
    { step: 2, loss: 4, split: 'train' as const, run: 'pretrain' },
  ];
  const report = studyReport({ directory: '/runs/study', state, plan, elapsedMs: 61_400, curves });

  it('puts every stage into report.json, the classifiers in one table with their trainable shares', () => {
    expect(report.json).toMatchObject({
      task: 'sentiment',
      labelNames: ['negative', 'positive'],
      sizes: { train: 400, test: 100 },
      elapsedSeconds: 61,
      perplexity: { perplexity: 42.5 },
      trainable: { loraShare: 0.04 },
    });
    expect(report.json.classification).toEqual([
      { model: 'zero-shot (pretrained, label words)', id: 0.55, oodMean: 0.52, trainable: 0, share: 0 },
      { model: 'fine-tuned in full', id: 0.8, oodMean: 0.6, trainable: 10_000, share: 1 },
      { model: `LoRA r ${plan.loraRank} (+ head)`, id: 0.75, oodMean: 0.62, trainable: 400, share: 0.04 },
      { model: 'WiSE-FT α = 0.5 (chosen in-domain)', id: 0.81, oodMean: 0.66, trainable: 10_000, share: 1 },
    ]);
  });

  it('draws the loss curves, the α curve and both confusion matrices, and sums up in text', () => {
    const types = report.html.sections.map((section) => section.type);
    expect(types).toEqual([
      'markdown',
      'lossCurve',
      'table',
      'continuations',
      'table',
      'alphaSweep',
      'confusionMatrix',
      'confusionMatrix',
    ]);
    expect(report.summary).toContain('perplexity 42.50 (1.800 bits/byte)');
    expect(report.summary).toContain(
      'LoRA r 4 (+ head): in-domain 0.7500, OOD 0.6200 (4.00% of the parameters trained)',
    );
  });
});
