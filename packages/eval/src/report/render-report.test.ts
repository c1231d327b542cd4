import { describe, expect, it } from 'vitest';
import { alphaSweepSpec, confusionMatrixSpec, lossCurveSpec } from './chart-specs.js';
import { formatCell, renderReport } from './render-report.js';
import { alphaSweepPoints, confusionMatrixSection, idOodTable } from './sections.js';
import { exampleReport, metrics, sweepReport } from './test-helpers.js';

describe('renderReport', () => {
  it('renders every section into one page with inline SVG charts and nothing to fetch', async () => {
    const html = await renderReport(exampleReport, { generatedAt: '2025-01-01T00:00:00Z' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Evaluation &lt;of&gt; a model</title>');
    expect(html.match(/<svg[\s>]/g)).toHaveLength(3);
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(link|img|iframe)\b/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    expect(html).toContain('<span class="prompt">Once &lt;upon&gt;</span> a time &amp; more');
    expect(html).toContain("default-src 'none'");
    // axis titles are drawn into the SVG as text
    for (const title of [
      'step',
      'loss (nats per token)',
      'α (weight of the fine-tuned model)',
      'predicted label',
      'true label',
    ]) {
      expect(html).toContain(`>${title}</text>`);
    }
    // the macro-F1 row of the metrics table, formatted
    expect(html).toContain(`<td class="number">${metrics.macroF1.toFixed(4)}</td>`);
  });

  it('draws an α sweep with interval bands, the chosen α, a reference line and whole legend labels', async () => {
    const long = 'a rather long out-of-domain set name that a default legend would cut (OOD)';
    const points = [0, 0.5, 1].flatMap((alpha) => [
      {
        alpha,
        set: 'in-domain test (ID)',
        value: 0.5 + alpha / 4,
        low: 0.45 + alpha / 4,
        high: 0.55 + alpha / 4,
      },
      { alpha, set: long, value: 0.5 + alpha / 8, low: 0.4 + alpha / 8, high: 0.6 + alpha / 8 },
    ]);
    const html = await renderReport({
      title: 'sweep',
      sections: [
        {
          type: 'alphaSweep',
          points,
          chosenAlpha: 0.5,
          references: [{ label: 'majority class 0.52', value: 0.52 }],
        },
        {
          type: 'lossCurve',
          yTitle: 'loss (nats per example)',
          points: [
            { step: 1, loss: 1, split: 'train', run: 'fine-tune (LoRA), seed 0' },
            { step: 2, loss: 0.9, split: 'validation', run: 'fine-tune (LoRA), seed 0' },
            { step: 1, loss: 1.1, split: 'train', run: 'fine-tune (full), seed 0' },
          ],
        },
      ],
    });
    expect(html).toContain(`>${long}</text>`);
    expect(html).toContain('>chosen α = 0.5</text>');
    expect(html).toContain('>majority class 0.52</text>');
    expect(html).toContain('>loss (nats per example)</text>');
    // runs by colour, splits by dash: a legend entry per run and per split
    expect(html).toContain('>fine-tune (LoRA), seed 0</text>');
    expect(html).toContain('>fine-tune (full), seed 0</text>');
    expect(html).toContain('>validation</text>');
    expect(html.match(/<path[^>]*opacity="0.18"/g)?.length ?? 0).toBeGreaterThanOrEqual(2); // the bands
  });

  it('says so when a chart has no data', async () => {
    const html = await renderReport({ title: 't', sections: [{ type: 'lossCurve', points: [] }] });
    expect(html).toContain('No data.');
    expect(html).not.toContain('<svg');
  });
});

describe('report sections', () => {
  it('build tables and sweep points from evaluation results', () => {
    const table = idOodTable(sweepReport(1));
    expect(table.rows).toEqual([
      ['sst2', 'ID', 0.9, 0.5, 872],
      ['amazon', 'OOD', 0.7, 0.5, 1000],
      ['OOD mean', 'OOD', 0.7, 0.5, null],
    ]);
    expect(alphaSweepPoints([{ alpha: 0.5, report: sweepReport(0.5) }], { oodMean: false })).toEqual([
      { alpha: 0.5, set: 'sst2 (ID)', value: 0.7 },
      { alpha: 0.5, set: 'amazon (OOD)', value: 0.65 },
    ]);
    // one OOD set is its own mean: no third line that would hide under the second
    expect(alphaSweepPoints([{ alpha: 0.5, report: sweepReport(0.5) }]).map((point) => point.set)).toEqual([
      'sst2 (ID)',
      'amazon (OOD)',
    ]);
    expect([formatCell(3), formatCell(0.123456), formatCell(null), formatCell('<b>')]).toEqual([
      '3',
      '0.1235',
      '',
      '&lt;b&gt;',
    ]);
  });

  it('smooths training losses per run on request, leaving validation points as they are', () => {
    const points = [1, 2, 3, 4].map((step) => ({
      step,
      loss: step % 2 ? 1 : 3,
      split: 'train' as const,
      run: 'a',
    }));
    const spec = lossCurveSpec({
      points: [...points, { step: 4, loss: 5, split: 'validation', run: 'a' }],
      smooth: 3,
    });
    const values = (spec.data as { values: { loss: number; split: string }[] }).values;
    expect(values.map((value) => value.loss)).toEqual([2, 5 / 3, 7 / 3, 2, 5]);
  });

  it('draws the chosen α and the references on the curve scales', () => {
    const spec = alphaSweepSpec({
      points: [{ alpha: 0, set: 'id', value: 0.5 }],
      chosenAlpha: 0.8,
      references: [{ label: 'chance', value: 0.25 }],
    });
    expect(spec.resolve).toEqual({ scale: { x: 'shared', y: 'shared' } });
    const encodings = JSON.stringify(spec.layer);
    expect(encodings).not.toMatch(/"field":"(alpha|value)"}/); // every positional field typed quantitative
  });

  it('lays the confusion matrix out as true × predicted cells', () => {
    const spec = confusionMatrixSpec(confusionMatrixSection(metrics));
    const values = (spec.data as { values: { actual: string; predicted: string; count: number }[] }).values;
    expect(values).toHaveLength(9);
    expect(values.find((v) => v.actual === 'Sci/Tech' && v.predicted === 'World')!.count).toBe(1);
    expect(values.find((v) => v.actual === 'World' && v.predicted === 'Sports')!.count).toBe(1);
    expect(() => confusionMatrixSpec({ labelNames: ['a'], matrix: [[1, 2]] })).toThrow(/must be \[1\]\[1\]/);
  });
});
