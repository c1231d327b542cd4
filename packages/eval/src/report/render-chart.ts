import type { VegaLiteSpec } from './chart-specs.js';

/**
 * A Vega-Lite specification → a standalone SVG string, rendered headlessly by Vega's scenegraph (no DOM, no
 * canvas package, no network: data must be inline). vega and vega-lite are ES modules only and are imported
 * when first needed, so the CommonJS build loads them too and importing this module costs nothing.
 */
export async function renderChartSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
