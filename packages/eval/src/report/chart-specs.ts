import type { AlphaSweepSection, ConfusionMatrixSection, LossCurveSection } from './sections.js';

/** A Vega-Lite specification (vega.github.io/vega-lite), as a plain JSON object. */
export type VegaLiteSpec = Record<string, unknown>;

const WIDTH = 520;
const HEIGHT = 280;

/** Loss against step: a line per series (train, validation; per run when there are several), dots on validation. */
export function lossCurveSpec({ points }: Pick<LossCurveSection, 'points'>): VegaLiteSpec {
  const runs = new Set(points.map((point) => point.run ?? ''));
  const values = points.map(({ step, loss, split, run }) => ({
    step,
    loss,
    series: runs.size > 1 ? `${run ?? ''} ${split}`.trim() : split,
    split,
  }));
  return {
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'loss', type: 'quantitative', title: 'loss (nats per token)', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 } },
      {
        mark: { type: 'point', filled: true, size: 30 },
        transform: [{ filter: "datum.split === 'validation'" }],
      },
    ],
  };
}

/** A metric against α, a line with dots per evaluation set. */
export function alphaSweepSpec({
  points,
  metric = 'accuracy',
}: Pick<AlphaSweepSection, 'points' | 'metric'>): VegaLiteSpec {
  return {
    width: WIDTH,
    height: HEIGHT,
    data: { values: points },
    mark: { type: 'line', point: { filled: true, size: 40 } },
    encoding: {
      x: { field: 'alpha', type: 'quantitative', title: 'α (weight of the fine-tuned model)' },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      color: { field: 'set', type: 'nominal', title: null },
    },
  };
}

/** A heatmap of counts, true labels down, predictions across, each cell labelled with its count. */
export function confusionMatrixSpec({
  labelNames,
  matrix,
}: Pick<ConfusionMatrixSection, 'labelNames' | 'matrix'>): VegaLiteSpec {
  if (matrix.length !== labelNames.length || matrix.some((row) => row.length !== labelNames.length)) {
    throw new RangeError(
      `confusionMatrixSpec: the matrix must be [${labelNames.length}][${labelNames.length}] for ${labelNames.length} labels`,
    );
  }
  const values = matrix.flatMap((row, actual) =>
    row.map((count, predicted) => ({ actual: labelNames[actual], predicted: labelNames[predicted], count })),
  );
  const max = Math.max(0, ...matrix.flat());
  const cell = Math.max(36, Math.min(72, Math.floor(360 / labelNames.length)));
  return {
    width: cell * labelNames.length,
    height: cell * labelNames.length,
    data: { values },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: labelNames,
        title: 'predicted label',
        axis: { labelAngle: 0 },
      },
      y: { field: 'actual', type: 'nominal', sort: labelNames, title: 'true label' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            title: 'count',
            scale: { scheme: 'blues', domainMin: 0 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          // white on the darker half of the scale
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
