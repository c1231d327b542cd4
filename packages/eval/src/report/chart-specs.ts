import type { AlphaSweepSection, ConfusionMatrixSection, LossCurveSection } from './sections.js';

/** A Vega-Lite specification (vega.github.io/vega-lite), as a plain JSON object. */
export type VegaLiteSpec = Record<string, unknown>;

const WIDTH = 520;
const HEIGHT = 280;
/** Legends below the chart with whole labels (Vega-Lite cuts labels at 160 pixels by default). */
const LEGEND = { orient: 'bottom', direction: 'vertical', labelLimit: 0 } as const;

/**
 * Loss against step: a line per series, dots on validation. With several runs, colour tells the runs apart and
 * the dash the split (train solid, validation dashed), so a legend of n runs needs n colours, not 2n.
 */
export function lossCurveSpec({
  points,
  yTitle,
  smooth = 1,
}: Pick<LossCurveSection, 'points' | 'yTitle' | 'smooth'>): VegaLiteSpec {
  const runs = new Set(points.map((point) => point.run ?? ''));
  const values = smoothTraining(
    points.map(({ step, loss, split, run }) => ({ step, loss, split, run: run ?? '' })),
    smooth,
  );
  const color =
    runs.size > 1
      ? { field: 'run', type: 'nominal', title: null, legend: LEGEND }
      : { field: 'split', type: 'nominal', title: null, legend: LEGEND };
  return {
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'loss',
        type: 'quantitative',
        title: yTitle ?? 'loss (nats per token)',
        scale: { zero: false },
      },
      color,
      ...(runs.size > 1
        ? {
            strokeDash: {
              field: 'split',
              type: 'nominal',
              title: null,
              legend: LEGEND,
              scale: {
                domain: ['train', 'validation'],
                range: [
                  [1, 0],
                  [4, 3],
                ],
              },
            },
            detail: { field: 'split' },
          }
        : {}),
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

/** Each run's training losses as a centred moving mean over `window` logged steps (validation points as they are). */
function smoothTraining<P extends { step: number; loss: number; split: string; run: string }>(
  points: readonly P[],
  window: number,
): P[] {
  if (window <= 1) return [...points];
  const half = Math.floor(window / 2);
  const byRun = new Map<string, P[]>();
  for (const point of points) {
    if (point.split !== 'train') continue;
    byRun.set(point.run, [...(byRun.get(point.run) ?? []), point]);
  }
  const smoothed = new Map<P, number>();
  for (const series of byRun.values()) {
    series.forEach((point, i) => {
      const around = series.slice(Math.max(0, i - half), i + half + 1);
      smoothed.set(point, around.reduce((sum, p) => sum + p.loss, 0) / around.length);
    });
  }
  return points.map((point) => (smoothed.has(point) ? { ...point, loss: smoothed.get(point)! } : point));
}

/**
 * A metric against α, a line with dots per evaluation set; a band where points carry an interval, a rule at
 * the chosen α and dashed lines for references (e.g. the majority-class rate).
 */
export function alphaSweepSpec({
  points,
  metric = 'accuracy',
  chosenAlpha,
  references = [],
}: Pick<AlphaSweepSection, 'points' | 'metric' | 'chosenAlpha' | 'references'>): VegaLiteSpec {
  const x = { field: 'alpha', type: 'quantitative', title: 'α (weight of the fine-tuned model)' };
  const color = { field: 'set', type: 'nominal', title: null, legend: LEGEND };
  const layers: Record<string, unknown>[] = [];
  if (points.some((point) => point.low !== undefined && point.high !== undefined)) {
    layers.push({
      mark: { type: 'area', opacity: 0.18 },
      transform: [{ filter: 'isValid(datum.low) && isValid(datum.high)' }],
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
    });
  }
  layers.push({
    mark: { type: 'line', point: { filled: true, size: 40 } },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      color,
    },
  });
  // the reference lines and the chosen α share the curve's scales: quantitative fields named as the curve's
  const y = { field: 'value', type: 'quantitative' };
  for (const reference of references) {
    layers.push({
      data: { values: [{ value: reference.value, label: reference.label }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y } },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: 'gray', x: 0 },
          encoding: { y, text: { field: 'label', type: 'nominal' } },
        },
      ],
    });
  }
  if (chosenAlpha !== undefined) {
    const alpha = { field: 'alpha', type: 'quantitative' };
    const align = chosenAlpha > 0.5 ? 'right' : 'left';
    layers.push({
      data: { values: [{ alpha: chosenAlpha, label: `chosen α = ${chosenAlpha}` }] },
      layer: [
        { mark: { type: 'rule', color: 'black', strokeWidth: 1 }, encoding: { x: alpha } },
        {
          mark: { type: 'text', align, dx: align === 'right' ? -4 : 4, y: 8, color: 'black' },
          encoding: { x: alpha, text: { field: 'label', type: 'nominal' } },
        },
      ],
    });
  }
  return {
    width: WIDTH,
    height: HEIGHT,
    data: { values: points },
    layer: layers,
    resolve: { scale: { x: 'shared', y: 'shared' } },
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
