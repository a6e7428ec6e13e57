/**
 * The report's page: one self-contained HTML file — CSS inline, every figure an inline SVG, no script, and a
 * Content-Security-Policy that forbids fetching anything (so the page shows the same offline, from a mail
 * attachment or an archive).
 */
import type { EstimateRow } from '../estimates.js';
import type { FigureSpec } from './figures/common.js';

export interface RenderedFigure extends Omit<FigureSpec, 'spec'> {
  readonly svg: string;
}

export interface Section {
  readonly id: string;
  readonly title: string;
  /** HTML before the figures (tables, notes). */
  readonly body?: string;
  readonly figures: readonly RenderedFigure[];
}

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A number for a table: 4 significant digits, or '–' where there is none. */
export const fmt = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : v.toPrecision(digits));

export function table(head: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** The parameter table: estimate, SE, RSE and 95 % CI on the natural scale (estimates.json). */
export function estimatesTable(rows: readonly EstimateRow[]): string {
  return table(['parameter', 'kind', 'estimate', 'SE', 'RSE %', '95 % CI', 'scale', 'initial', ''],
    rows.map((r) => [r.name, r.kind, fmt(r.estimate), fmt(r.se, 3), r.rse === null ? '–' : r.rse.toFixed(1), r.ciLower === null || r.ciUpper === null ? '–' : `[${fmt(r.ciLower)}, ${fmt(r.ciUpper)}]`, r.scale, fmt(r.initial), r.fixed ? 'fixed' : '']), 'estimates');
}

export const pageStyle = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0 auto; max-width: 1180px; padding: 0 24px 48px; }
header { border-bottom: 1px solid #ddd; margin-bottom: 12px; }
h1 { font-size: 22px; margin: 20px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #eee; } h3 { font-size: 15px; margin: 16px 0 6px; }
nav ol { columns: 3; padding-left: 20px; margin: 6px 0; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 10px; text-align: right; } th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #bbb; }
figure { margin: 14px 0 22px; overflow-x: auto; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; max-width: 880px; font-size: 13px; margin-top: 4px; }
.meta { color: #555; } .note { color: #8a5a00; } .bad { color: #b00020; font-weight: 600; }
@media print { nav { display: none; } figure { break-inside: avoid; } }
`;

export function page(title: string, meta: readonly string[], sections: readonly Section[]): string {
  const nav = sections.map((s) => `<li><a href="#${s.id}">${esc(s.title)}</a></li>`).join('');
  const body = sections.map((s) => [
    `<section id="${s.id}"><h2>${esc(s.title)}</h2>`,
    s.body ?? '',
    ...s.figures.map((f) => `<figure id="fig-${f.id}" data-figure="${f.id}"><h3>${esc(f.title)}</h3>\n${f.svg}\n<figcaption>${esc(f.caption)}</figcaption></figure>`),
    '</section>',
  ].join('\n')).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${pageStyle}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>${meta.map((m) => `<p class="meta">${esc(m)}</p>`).join('')}</header>
<nav><ol>${nav}</ol></nav>
${body}
</body>
</html>
`;
}
