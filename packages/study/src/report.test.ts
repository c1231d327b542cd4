import type { AlphaSweepSection } from '@mini-llama/eval/report';
import { describe, expect, it } from 'vitest';
import { STUDY_PLANS, STUDY_STATE_VERSION, type StudyState, studyReport } from './index.js';
import type { SetsPredictions, WiseFtSeeds } from './results.js';

// Two labels; the in-domain test set is 60% label 0, the OOD set 50/50.
const idLabels = Array.from({ length: 200 }, (_, i) => (i < 120 ? 0 : 1));
const oodLabels = Array.from({ length: 160 }, (_, i) => i % 2);

/** The labels with `wrong` of them flipped, starting at `offset` (so seeds err on different examples). */
function predict(labels: readonly number[], wrong: number, offset = 0): number[] {
  return labels.map((label, i) => ((i - offset + labels.length) % labels.length < wrong ? 1 - label : label));
}
const sets = (idWrong: number, oodWrong: number, offset = 0): SetsPredictions => ({
  id: predict(idLabels, idWrong, offset),
  ood: [predict(oodLabels, oodWrong, offset)],
});

// WiSE-FT: α = 0.5 is better out of domain than α = 1 in every seed; α = 0 is the zero-shot classifier.
const wiseFt: WiseFtSeeds = {
  alphas: [0, 0.5, 1],
  seeds: [0, 1, 2].map((seed) => ({
    chosenAlpha: 0.5,
    tie: seed === 2,
    val: [0.6, 0.8, seed === 2 ? 0.8 : 0.75],
    predictions: [sets(60, 56), sets(30 + seed, 30 + seed, seed * 7), sets(32 + seed, 60 + seed, seed * 7)],
  })),
};

/** A finished study's state, as the stages leave it. */
function finishedState(loraPredictions: SetsPredictions[]): StudyState {
  return {
    version: STUDY_STATE_VERSION,
    done: {
      data: {
        task: 'sentiment',
        corpusDocuments: 1200,
        corpusBytes: 340_000,
        labelNames: ['negative', 'positive'],
        sizes: { train: 400, val: 100, test: 200 },
        ood: [{ name: 'reviews.tsv', spec: 'tsv:/x/reviews.tsv', n: 160 }],
      },
      perplexity: { perplexity: 42.5, bitsPerByte: 1.8, tokens: 5000, nll: 3.75 },
      continuations: [{ prompt: 'The jury said', continuation: ' that it was late.' }],
      'zero-shot': {
        evaluation: {
          accuracy: 0.7,
          macroF1: 0.7,
          n: 200,
          confusion: [],
          labelNames: ['negative', 'positive'],
          prompt: { template: '{text}\nSentiment:', verbalizers: ['negative', 'positive'] },
        },
        labels: { id: idLabels, ood: [oodLabels] },
        predictions: sets(60, 56),
        head: {
          template: '{text}\nSentiment:',
          labelWords: [
            [' bad', ' awful'],
            [' good', ' great'],
          ],
          centredOn: 400,
        },
      },
      evaluate: {
        labels: { id: idLabels, ood: [oodLabels] },
        lora: loraPredictions,
        shares: { full: 10_000, lora: 420, loraMatrices: 400, head: 20, loraShare: 420 / 10_420 },
      },
      'wise-ft': wiseFt,
    },
  };
}

const plan = STUDY_PLANS.quick;
const curves = [
  { step: 1, loss: 5, split: 'train' as const, run: 'pretrain' },
  { step: 2, loss: 4, split: 'train' as const, run: 'pretrain' },
  { step: 1, loss: 0.7, split: 'train' as const, run: 'full, seed 0' },
  { step: 1, loss: 0.69, split: 'train' as const, run: 'LoRA, seed 0' },
];
const loraSeeds = [0, 1, 2].map((seed) => sets(40, 50, seed * 5));

describe('studyReport', () => {
  const report = studyReport({
    directory: '/runs/study',
    state: finishedState(loraSeeds),
    plan,
    elapsedMs: 61_400,
    curves,
    finalLosses: { full: [0.3, 0.31, 0.29], lora: [0.4, 0.45, 0.35] },
  });

  it('reports every accuracy as a mean with a 95% interval and its seeds, each set with its majority rate', () => {
    expect(report.json).toMatchObject({
      task: 'sentiment',
      sizes: { train: 400, val: 100, test: 200 },
      elapsedSeconds: 61,
      sets: [
        { name: 'in-domain test', domain: 'ID', n: 200, majorityRate: 0.6 },
        { name: 'reviews.tsv', domain: 'OOD', n: 160, majorityRate: 0.5 },
      ],
    });
    const rows = report.json.classification as {
      model: string;
      id: { mean: number; low: number; high: number; seeds: number };
      oodMean: { mean: number } | null;
      share: number;
    }[];
    expect(rows.map((row) => row.model)).toEqual([
      'zero-shot (label words, centred)',
      'fine-tuned in full',
      `LoRA r ${plan.loraRank} (+ head)`,
      'WiSE-FT at the chosen α (α = 0.5 in all 3 seeds)',
    ]);
    const full = rows[1]!;
    expect(full.id.mean).toBeCloseTo(1 - 33 / 200, 12); // (32 + 33 + 34) / 3 wrong
    expect(full.id.seeds).toBe(3);
    expect(full.id.low).toBeLessThan(full.id.mean);
    expect(full.id.high).toBeGreaterThan(full.id.mean);
    expect(rows[0]!.id).toMatchObject({ mean: 0.7, seeds: 1 });
    // α = 0 is the zero-shot classifier: one row, and the α curve's α = 0 is that row, counted once
    expect(report.analysis.start.id).toEqual(rows[0]!.id);
    expect(report.analysis.sweep[0]!.id).toEqual(report.analysis.start.id);
    expect(rows[2]!.share).toBeCloseTo(420 / 10_420, 12);
    const whatWasRun = (report.html.sections[1] as { markdown: string }).markdown;
    expect(whatWasRun).toContain(
      'zero-shot by label words (2 per label after "{text}\\nSentiment:", the mean of their LM-head rows, centred on 400 unlabelled in-domain texts), fine-tuned in full and with LoRA from the zero-shot classifier',
    );
    expect(report.json.zeroShot).toMatchObject({ head: { centredOn: 400 } });
  });

  it('answers both questions from paired differences, whichever way they come out', () => {
    const { answers } = report.analysis;
    // α = 0.5 is right on 61–63 OOD examples of 160 more than α = 1 (60+s wrong vs 30+s): a clear gain
    expect(report.analysis.wiseFtGain.oodMean!.mean).toBeCloseTo(30 / 160, 12);
    expect(report.analysis.wiseFtGain.oodMean!.low).toBeGreaterThan(0);
    expect(answers.wiseFt).toMatch(
      /^WiSE-FT \(α = 0\.5 in all 3 seeds.*\+0\.188 \[\+0\.1\d\d, \+0\.2\d\d\] accuracy out of domain/,
    );
    expect(answers.wiseFt).toContain('it buys robustness here');
    expect(answers.wiseFt).toContain('The best OOD accuracy on the α grid is at α = 0.5');
    expect(answers.lora).toMatch(/^LoRA against full fine-tuning \(one learning rate each, 3 seeds\)/);
    expect(answers.lora).toContain('final training loss s.d. 0.050 vs 0.010');
    expect(report.json.answers).toEqual(answers);
  });

  it('says so when the zero-shot model is at chance, a classifier predicts one class, or α was a tie', () => {
    const markdown = (report.html.sections[0] as { markdown: string }).markdown;
    expect(markdown).toContain('**Does WiSE-FT buy robustness out of domain?**');
    expect(markdown).toContain('**Does LoRA make fine-tuning more stable?**');
    // zero-shot: in domain 0.7 against a majority rate of 0.6 (above); OOD 0.65 against 0.5 (above)
    expect(markdown).toContain('**Zero-shot**: above chance on every set');
    expect(markdown).toContain('⚠ α was chosen by a tie on validation in 1 of 3 seeds');
    expect(markdown).not.toContain('predicts one class');

    const oneClass = studyReport({
      directory: '/runs/study',
      state: finishedState(
        [0, 1, 2].map(() => ({ id: idLabels.map(() => 0), ood: [oodLabels.map(() => 0)] })),
      ),
      plan,
      elapsedMs: 1000,
      curves,
    });
    expect((oneClass.html.sections[0] as { markdown: string }).markdown).toContain(
      `⚠ LoRA r ${plan.loraRank} (+ head) predicts one class (negative) for every in-domain example in seeds 0, 1, 2`,
    );
    expect(oneClass.summary).toContain('predicts one class (negative)');
  });

  it('with the linear-probe endpoint, α = 0 is each seed’s probe: a row pooling the seeds, named so', () => {
    const state = finishedState(loraSeeds);
    state.endpoint = 'linear-probe';
    const probed = studyReport({ directory: '/runs/study', state, plan, elapsedMs: 1000, curves });
    const start = (
      probed.json.classification as { model: string; id: { seeds: number }; trainable: number }[]
    )[1]!;
    expect(start.model).toBe('linear probe (α = 0)');
    expect(start.id.seeds).toBe(3);
    expect(start.trainable).toBe(20); // the head
    const sweep = probed.html.sections.find((section) => section.type === 'alphaSweep')!;
    expect(sweep.title).toContain('0 = linear probe');
    expect((probed.html.sections[1] as { markdown: string }).markdown).toContain('from a linear probe');
  });

  it('draws the α curve with bands, the chosen α and the majority rates; loss curves per method', () => {
    const types = report.html.sections.map((section) => section.type);
    expect(types).toEqual([
      'markdown',
      'markdown',
      'lossCurve',
      'lossCurve',
      'lossCurve',
      'table',
      'continuations',
      'table',
      'table',
      'alphaSweep',
      'table',
      'table',
      'confusionMatrix',
      'confusionMatrix',
    ]);
    const sweep = report.html.sections.find((section) => section.type === 'alphaSweep') as AlphaSweepSection;
    expect(sweep.chosenAlpha).toBe(0.5);
    // α is marked only when most seeds chose it
    const split: WiseFtSeeds = {
      ...wiseFt,
      seeds: wiseFt.seeds.map((seed, i) => ({ ...seed, chosenAlpha: [0, 0.5, 1][i]! })),
    };
    const state = finishedState(loraSeeds);
    state.done['wise-ft'] = split;
    const splitReport = studyReport({ directory: '/runs/study', state, plan, elapsedMs: 1000, curves });
    const splitSweep = splitReport.html.sections.find(
      (section) => section.type === 'alphaSweep',
    ) as AlphaSweepSection;
    expect(splitSweep.chosenAlpha).toBeUndefined();
    expect(sweep.points.map((point) => point.set)).toEqual(
      [0, 0.5, 1].flatMap(() => ['in-domain test', 'reviews.tsv (OOD)']),
    );
    for (const point of sweep.points) {
      expect(point.low!).toBeLessThanOrEqual(point.value);
      expect(point.high!).toBeGreaterThanOrEqual(point.value);
    }
    expect(sweep.references!.map((reference) => reference.value)).toEqual([0.6, 0.5]);
    const lossTitles = report.html.sections
      .filter((section) => section.type === 'lossCurve')
      .map((section) => section.title);
    expect(lossTitles).toEqual([
      'Pretraining loss',
      'Fine-tuning loss, in full (classification cross-entropy)',
      'Fine-tuning loss, LoRA (classification cross-entropy)',
    ]);
  });
});

describe('studyReport without a shifted set', () => {
  it('answers in domain only, without calling an in-domain number out of domain', () => {
    const inDomain = (runs: SetsPredictions): SetsPredictions => ({ id: runs.id, ood: [] });
    const state = finishedState(loraSeeds.map(inDomain));
    const done = state.done as Record<string, unknown>;
    done.data = { ...(done.data as object), ood: [] };
    const zeroShot = done['zero-shot'] as { labels: object; predictions: SetsPredictions };
    done['zero-shot'] = {
      ...zeroShot,
      labels: { id: idLabels, ood: [] },
      predictions: inDomain(zeroShot.predictions),
    };
    done.evaluate = { ...(done.evaluate as object), labels: { id: idLabels, ood: [] } };
    done['wise-ft'] = {
      ...wiseFt,
      seeds: wiseFt.seeds.map((seed) => ({ ...seed, predictions: seed.predictions.map(inDomain) })),
    };
    const { answers } = studyReport({
      directory: '/runs/study',
      state,
      plan,
      elapsedMs: 1000,
      curves,
    }).analysis;
    expect(answers.wiseFt).not.toContain('out of domain,');
    expect(answers.wiseFt).toMatch(
      /against the fine-tuned model: [+−]0\.\d{3} \[.*\] accuracy in domain \(paired, 3 seeds\)/,
    );
    expect(answers.wiseFt).toContain('No out-of-domain set was given, so robustness is not measured here');
    expect(answers.lora).toMatch(
      /\(one learning rate each, 3 seeds\): [+−]0\.\d{3} \[[^\]]*\] in domain \(paired\)/,
    );
  });
});
