// The report the report tests render: one section of every kind.

import { classificationMetrics } from '../classification-metrics.js';
import type { IdOodReport } from '../id-ood.js';
import { alphaSweepPoints, confusionMatrixSection, metricsTable, type Report } from './sections.js';

export const metrics = classificationMetrics(
  [0, 0, 1, 1, 2],
  [0, 1, 1, 1, 0],
  ['World', 'Sports', 'Sci/Tech'],
);
export const sweepReport = (alpha: number): IdOodReport => ({
  id: { name: 'sst2', accuracy: 0.5 + 0.4 * alpha, macroF1: 0.5, n: 872 },
  ood: [{ name: 'amazon', accuracy: 0.6 + 0.1 * alpha, macroF1: 0.5, n: 1000 }],
  oodMean: { accuracy: 0.6 + 0.1 * alpha, macroF1: 0.5 },
});

export const exampleReport: Report = {
  title: 'Evaluation <of> a model',
  subtitle: 'mini-llama eval classify --task sst2',
  sections: [
    { type: 'markdown', title: 'About', markdown: 'Some **bold** text and <script>alert(1)</script>.' },
    metricsTable(metrics),
    {
      type: 'lossCurve',
      title: 'Loss',
      points: [
        { step: 1, loss: 5, split: 'train' },
        { step: 2, loss: 4, split: 'train' },
        { step: 2, loss: 4.5, split: 'validation' },
      ],
    },
    {
      type: 'alphaSweep',
      title: 'WiSE-FT sweep',
      points: alphaSweepPoints([0, 0.5, 1].map((alpha) => ({ alpha, report: sweepReport(alpha) }))),
    },
    confusionMatrixSection(metrics),
    {
      type: 'continuations',
      title: 'Samples',
      items: [{ prompt: 'Once <upon>', continuation: ' a time & more' }],
    },
  ],
};
