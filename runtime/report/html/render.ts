/**
 * A figure's Vega-Lite specification → SVG text, in Node and without a browser: Vega-Lite compiles it to a Vega
 * specification and vega's headless view renders it (`renderer: 'none'`, `toSVG()`: no canvas, nothing native;
 * text widths are vega's estimates). Each mark layer is named, so the SVG's mark groups carry the class
 * `<name>_marks`, and every drawn item an aria-label with the values it encodes: what the report's tests read.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Figure defaults shared by every chart: a plain look that prints well. */
export const chartConfig = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  view: { continuousWidth: 320, continuousHeight: 240 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...chartConfig, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
