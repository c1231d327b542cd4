export { alphaSweepSpec, confusionMatrixSpec, lossCurveSpec, type VegaLiteSpec } from './chart-specs.js';
export { renderChartSvg } from './render-chart.js';
export { escapeHtml, formatCell, type RenderReportOptions, renderReport } from './render-report.js';
export {
  type AlphaSweepPoint,
  type AlphaSweepSection,
  alphaSweepPoints,
  type ConfusionMatrixSection,
  type ContinuationsSection,
  confusionMatrixSection,
  idOodTable,
  type LossCurveSection,
  type MarkdownSection,
  metricsTable,
  type Report,
  type ReportSection,
  type TableCell,
  type TableSection,
} from './sections.js';
