import type { LossPoint } from './checkpoint-files.js';

export interface ChartOptions {
  color: string;
  /** A dashed vertical line at this step, e.g. where a reload resumed from the checkpoint. */
  marker?: { step: number; label: string } | null;
  /** The x axis spans at least this many steps, so the curve grows into a fixed frame. */
  minSteps?: number;
}

const MARGIN = { left: 44, right: 12, top: 12, bottom: 26 };

/** Draws a loss curve on a canvas: axes with their ranges, the line, and an optional marker. */
export function drawLossChart(
  canvas: HTMLCanvasElement,
  points: readonly LossPoint[],
  options: ChartOptions,
): void {
  const scale = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * scale)) canvas.width = Math.round(width * scale);
  if (canvas.height !== Math.round(height * scale)) canvas.height = Math.round(height * scale);
  const context = canvas.getContext('2d');
  if (!context) return;
  context.setTransform(scale, 0, 0, scale, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = '11px system-ui, sans-serif';
  context.fillStyle = '#555';
  context.strokeStyle = '#bbb';
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  context.strokeRect(MARGIN.left, MARGIN.top, plotWidth, plotHeight);
  if (points.length === 0) {
    context.fillText('waiting for the first step…', MARGIN.left + 8, MARGIN.top + 16);
    return;
  }

  const firstStep = Math.min(points[0]!.step, 1);
  const lastStep = Math.max(points.at(-1)!.step, firstStep + (options.minSteps ?? 1));
  const losses = points.map((point) => point.loss);
  const low = Math.min(...losses);
  const high = Math.max(...losses);
  const span = high - low || 1;
  const x = (step: number) => MARGIN.left + ((step - firstStep) / (lastStep - firstStep)) * plotWidth;
  const y = (loss: number) => MARGIN.top + (1 - (loss - low) / span) * plotHeight;

  context.textAlign = 'right';
  context.fillText(high.toFixed(2), MARGIN.left - 4, MARGIN.top + 8);
  context.fillText(low.toFixed(2), MARGIN.left - 4, MARGIN.top + plotHeight);
  context.textAlign = 'left';
  context.fillText(`step ${firstStep}`, MARGIN.left, height - 8);
  context.textAlign = 'right';
  context.fillText(`step ${lastStep}`, MARGIN.left + plotWidth, height - 8);

  if (options.marker) {
    const markerX = x(options.marker.step);
    context.save();
    context.setLineDash([4, 4]);
    context.strokeStyle = '#888';
    context.beginPath();
    context.moveTo(markerX, MARGIN.top);
    context.lineTo(markerX, MARGIN.top + plotHeight);
    context.stroke();
    context.restore();
    context.textAlign = 'left';
    context.fillText(options.marker.label, markerX + 4, MARGIN.top + 12);
  }

  context.strokeStyle = options.color;
  context.lineWidth = 2;
  context.beginPath();
  for (const [i, point] of points.entries()) {
    if (i === 0) context.moveTo(x(point.step), y(point.loss));
    else context.lineTo(x(point.step), y(point.loss));
  }
  context.stroke();
}
