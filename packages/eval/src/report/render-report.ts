import { alphaSweepSpec, confusionMatrixSpec, lossCurveSpec } from './chart-specs.js';
import { renderChartSvg } from './render-chart.js';
import type { Report, ReportSection, TableCell } from './sections.js';

export interface RenderReportOptions {
  /** Shown at the foot of the page (default: the time of rendering, ISO 8601). */
  generatedAt?: string;
}

/**
 * A report → one self-contained HTML page: styles inline, charts as inline SVG rendered from the data by
 * Vega-Lite, no script and no external resource (a Content-Security-Policy of `default-src 'none'` says so to
 * the browser), so the file can be mailed, archived or opened offline.
 */
export async function renderReport(
  report: Report,
  { generatedAt }: RenderReportOptions = {},
): Promise<string> {
  const sections: string[] = [];
  for (const section of report.sections) sections.push(await renderSection(section));
  const subtitle = report.subtitle ? `<p class="subtitle">${escapeHtml(report.subtitle)}</p>` : '';
  const stamp = generatedAt ?? new Date().toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(report.title)}</h1>
${subtitle}
${sections.join('\n')}
<footer>Generated ${escapeHtml(stamp)} by @mini-llama/eval; charts by Vega-Lite.</footer>
</main>
</body>
</html>
`;
}

async function renderSection(section: ReportSection): Promise<string> {
  const heading = section.title ? `<h2>${escapeHtml(section.title)}</h2>\n` : '';
  const body = await sectionBody(section);
  return `<section class="${section.type}">\n${heading}${body}\n</section>`;
}

async function sectionBody(section: ReportSection): Promise<string> {
  switch (section.type) {
    case 'markdown':
      return renderMarkdown(section.markdown);
    case 'table':
      return renderTable(section.columns, section.rows, section.caption);
    case 'lossCurve':
      return chart(await renderChartSvg(lossCurveSpec(section)), section.points.length === 0);
    case 'alphaSweep':
      return chart(await renderChartSvg(alphaSweepSpec(section)), section.points.length === 0);
    case 'confusionMatrix':
      return chart(await renderChartSvg(confusionMatrixSpec(section)), section.labelNames.length === 0);
    case 'continuations':
      return section.items
        .map(
          ({ prompt, continuation }) =>
            `<p class="continuation"><span class="prompt">${escapeHtml(prompt)}</span>${escapeHtml(continuation)}</p>`,
        )
        .join('\n');
  }
}

function chart(svg: string, empty: boolean): string {
  return empty ? '<p class="empty">No data.</p>' : `<figure class="chart">${svg}</figure>`;
}

function renderTable(
  columns: readonly string[],
  rows: readonly (readonly TableCell[])[],
  caption?: string,
): string {
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  // A column with any fractional number shows all its numbers with 4 decimals (1 → 1.0000 beside 0.5000).
  const fractional = columns.map((_, c) =>
    rows.some((row) => typeof row[c] === 'number' && !Number.isInteger(row[c])),
  );
  const body = rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell, c) => {
            const number = typeof cell === 'number';
            const text = number && fractional[c] ? cell.toFixed(4) : formatCell(cell);
            return `<td${number ? ' class="number"' : ''}>${text}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  const captionHtml = caption ? `<caption>${escapeHtml(caption)}</caption>` : '';
  return `<table>${captionHtml}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** Integers as they are, other numbers with 4 decimals, null as nothing. */
export function formatCell(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return Number.isInteger(cell) ? String(cell) : cell.toFixed(4);
  return escapeHtml(cell);
}

async function renderMarkdown(markdown: string): Promise<string> {
  const { Marked } = await import('marked');
  // Raw HTML in the Markdown is shown as text: a report may quote model output or dataset text.
  const marked = new Marked({ gfm: true, renderer: { html: ({ text }) => escapeHtml(text) } });
  return marked.parse(markdown, { async: false });
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
body { margin: 0; background: #fafafa; color: #1d1d1f; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 920px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 12px; }
.subtitle { color: #555; margin: 0 0 20px; font-family: ui-monospace, monospace; font-size: 13px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 12px; border-bottom: 1px solid #eee; text-align: left; }
td.number { text-align: right; }
caption { caption-side: bottom; color: #666; font-size: 13px; padding-top: 6px; text-align: left; }
figure.chart { margin: 0; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
.continuation { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 13px; background: #f6f6f6; padding: 8px 10px; border-radius: 6px; }
.continuation .prompt { font-weight: 600; }
.empty { color: #888; }
footer { color: #888; font-size: 12px; margin-top: 24px; }
`;
