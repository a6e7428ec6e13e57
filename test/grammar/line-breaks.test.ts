/**
 * A lone CR is a line break for the lexer, the renderer, the comment attachment and the end-of-file position
 * alike (as for LSP clients): the line a diagnostic names is the line the renderer shows, and the caret sits under
 * the diagnosed text (reproducers test/fixtures/repro/fuzz/*cr*.nlm, and CRLF / LF variants of one model).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { renderDiagnostic } from '../../diagnostics/render.js';

const fuzz = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/repro/fuzz/${name}`, import.meta.url)), 'utf8');

/** Line `line` (1-based) of `source`, found by walking the characters: CRLF, LF and a lone CR each end a line. */
function lineAt(source: string, line: number): string {
  let n = 1;
  let start = 0;
  for (let i = 0; i < source.length && n < line; i++) {
    if (source[i] === '\r' || source[i] === '\n') {
      if (source[i] === '\r' && source[i + 1] === '\n') i++;
      n++;
      start = i + 1;
    }
  }
  const rest = source.slice(start);
  const end = rest.search(/[\r\n]/);
  return end < 0 ? rest : rest.slice(0, end);
}

function checkLocated(file: string, source: string): number {
  const r = compile(source);
  for (const d of r.diagnostics) {
    const { start, end } = d.range;
    const text = lineAt(source, start.line);
    // The position agrees with the offset: the line's text starts where offset − (column − 1) points.
    expect(source.slice(start.offset - (start.column - 1), start.offset - (start.column - 1) + text.length), `${file} ${d.code} line ${start.line}`).toBe(text);
    if (end.line === start.line && end.offset > start.offset) expect(text.slice(start.column - 1, end.column - 1)).toBe(source.slice(start.offset, end.offset));
    const rendered = renderDiagnostic(d, file, source).split('\n');
    expect(rendered[2], `${file} ${d.code}`).toBe(`${start.line} | ${text.replace(/\t/g, ' ')}`);
  }
  return r.diagnostics.length;
}

describe('a lone CR counts as a line break everywhere', () => {
  it.each(['lone-cr-in-comment.nlm', 'cr-only-line-endings.nlm', 'comments-only-cr.nlm', 'cr-unknown-name.nlm'])('%s: every diagnostic shows its own line', (file) => {
    expect(checkLocated(file, fuzz(file))).toBeGreaterThan(0);
  });

  it('the same model with LF, CRLF and CR line endings: the same lines and columns', () => {
    const lf = fuzz('cr-only-line-endings.nlm').replace(/\r/g, '\n');
    const where = (s: string) => compile(s).diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]);
    const expected = where(lf);
    expect(expected.length).toBeGreaterThan(0);
    for (const s of [lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r')]) {
      expect(where(s)).toEqual(expected);
      checkLocated('variant.nlm', s);
    }
  });

  it('the end of a file that ends in a CR is on the next line', () => {
    const d = compile(fuzz('comments-only-cr.nlm')).diagnostics[0]!;
    expect([d.code, d.range.start.line, d.range.start.column]).toEqual(['E101', 3, 1]);
  });
});
