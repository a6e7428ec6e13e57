/**
 * Terminal rendering of diagnostics: `file:line:column: severity CODE: message`, the source line, and a caret
 * under the range, then related locations and the suggested fix. Colour only when the caller asks for it.
 */
import type { Diagnostic } from './diagnostic.js';
import { sourceLines } from './source-range.js';

export interface RenderOptions {
  readonly color?: boolean;
}

const paint = (on: boolean, code: string, text: string): string => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

export function renderDiagnostic(d: Diagnostic, file: string, source: string, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const lines = sourceLines(source);
  const { line, column } = d.range.start;
  const sevColor = d.severity === 'error' ? '31;1' : d.severity === 'warning' ? '33;1' : '36;1';
  const out = [`${paint(color, '1', `${file}:${line}:${column}`)}: ${paint(color, sevColor, `${d.severity} ${d.code}`)}: ${d.message}`];
  const text = lines[line - 1];
  if (text !== undefined) {
    const gutter = String(line).length;
    const width = d.range.end.line === line ? Math.max(1, d.range.end.column - column) : Math.max(1, text.length - column + 1);
    out.push(`${' '.repeat(gutter)} |`);
    out.push(`${line} | ${text.replace(/\t/g, ' ')}`);
    out.push(`${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, column - 1))}${paint(color, sevColor, '^'.repeat(width))}`);
  }
  for (const r of d.related) out.push(`  ${file}:${r.range.start.line}:${r.range.start.column}: note: ${r.message}`);
  if (d.fix) out.push(`  help: ${d.fix.title}`);
  return out.join('\n');
}

/** All diagnostics, then a one-line summary. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], file: string, source: string, options: RenderOptions = {}): string {
  if (diagnostics.length === 0) return '';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const summary = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  return `${diagnostics.map((d) => renderDiagnostic(d, file, source, options)).join('\n\n')}\n\n${summary}\n`;
}
