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

/** The most of a source line shown: a longer line is cut to a window around the range, marked with '…'. */
const maxShown = 160;

/**
 * The part of `text` to show for a range at `start` (0-based) of `width` characters, and where the caret goes in it.
 * Without the cut, each diagnostic on a line of a megabyte printed that megabyte (a thousand of them overflowed
 * JavaScript's longest string).
 */
function sourceWindow(text: string, start: number, width: number): { text: string; caret: number; width: number } {
  if (text.length <= maxShown) return { text, caret: Math.max(0, start), width };
  const from = Math.max(0, Math.min(start - 40, text.length - maxShown));
  const to = Math.min(text.length, from + maxShown);
  const head = from > 0 ? '…' : '';
  return {
    text: `${head}${text.slice(from, to)}${to < text.length ? '…' : ''}`,
    caret: head.length + Math.max(0, start - from),
    width: Math.max(1, Math.min(width, to - Math.max(start, from))),
  };
}

export function renderDiagnostic(d: Diagnostic, file: string, source: string, options: RenderOptions = {}): string {
  return renderAgainst(d, file, sourceLines(source), options);
}

/** One diagnostic against the source's lines, split once by the caller (see `renderDiagnostics`). */
function renderAgainst(d: Diagnostic, file: string, lines: readonly string[], options: RenderOptions): string {
  const color = options.color ?? false;
  const { line, column } = d.range.start;
  const sevColor = d.severity === 'error' ? '31;1' : d.severity === 'warning' ? '33;1' : '36;1';
  const out = [`${paint(color, '1', `${file}:${line}:${column}`)}: ${paint(color, sevColor, `${d.severity} ${d.code}`)}: ${d.message}`];
  const text = lines[line - 1];
  if (text !== undefined) {
    const gutter = String(line).length;
    const width = d.range.end.line === line ? Math.max(1, d.range.end.column - column) : Math.max(1, text.length - column + 1);
    const shown = sourceWindow(text, column - 1, width);
    out.push(`${' '.repeat(gutter)} |`);
    out.push(`${line} | ${shown.text.replace(/\t/g, ' ')}`);
    out.push(`${' '.repeat(gutter)} | ${' '.repeat(shown.caret)}${paint(color, sevColor, '^'.repeat(shown.width))}`);
  }
  for (const r of d.related) out.push(`  ${file}:${r.range.start.line}:${r.range.start.column}: note: ${r.message}`);
  if (d.fix) out.push(`  help: ${d.fix.title}`);
  return out.join('\n');
}

/**
 * All diagnostics, then a one-line summary. The source is split into lines once for all of them: split per
 * diagnostic, 2,000 diagnostics of an 807 KB file took 5 s (the bench of issue #17).
 */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], file: string, source: string, options: RenderOptions = {}): string {
  if (diagnostics.length === 0) return '';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const summary = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  const lines = sourceLines(source);
  return `${diagnostics.map((d) => renderAgainst(d, file, lines, options)).join('\n\n')}\n\n${summary}\n`;
}
