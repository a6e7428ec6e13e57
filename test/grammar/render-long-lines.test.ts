/**
 * The renderer on very long lines (found by `npm run bench:fuzz`, seed 4242 input 4108: a 519,000-character line
 * with a thousand diagnostics overflowed JavaScript's longest string while rendering). A long line is shown as a
 * window around the range, marked with '…', and the caret still sits under the offending character.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { renderDiagnostic, renderDiagnostics } from '../../diagnostics/render.js';

const model = (rhs: string): string => `model m\nparameters {\n  k = 0.5 lognormal(omega = 0.3)\n}\nstates {\n  X(0) = 1\n}\node {\n  d/dt X = ${rhs}\n}\n`;

/** The character above the caret in a rendered diagnostic (the source line and the caret line). */
function underCaret(rendered: string): string {
  const lines = rendered.split('\n');
  const source = lines[2]!.replace(/^\d+ \| /, '');
  const caret = lines[3]!.replace(/^ +\| /, '');
  return source[caret.indexOf('^')]!;
}

describe('rendering diagnostics on long lines', () => {
  it('a line of 100,000 characters: a window of it, the caret under the unknown name far along it', () => {
    const long = 'a'.repeat(100_000);
    const source = model(`${long} * zzz + k`).replace('ode {\n', `ode {\n  ${long} = k\n`);
    const d = compile(source, { stopAfter: 'check' }).diagnostics.find((x) => x.code === 'E201')!;
    expect(source.slice(d.range.start.offset, d.range.end.offset)).toBe('zzz');
    expect(d.range.start.column).toBeGreaterThan(100_000);
    const rendered = renderDiagnostic(d, 'm.nlm', source);
    expect(rendered.split('\n')[2]!.length).toBeLessThan(200);
    expect(rendered.split('\n')[2]).toMatch(/^10 \| …a+ \* zzz \+ k$/);
    expect(underCaret(rendered)).toBe('z');
    expect(rendered.split('\n')[3]).toMatch(/ \^\^\^$/);
  });

  it('a thousand diagnostics on a line of 500,000 characters render (each shows the window only)', () => {
    const long = 'w'.repeat(500);
    const source = model(Array(1000).fill(long).join(' + '));
    const ds = compile(source, { stopAfter: 'check' }).diagnostics;
    expect(ds.length).toBeGreaterThanOrEqual(1000);
    const rendered = renderDiagnostics(ds, 'm.nlm', source);
    // Each is its message (which names the 500-character name) and a window of the line: not the line itself.
    expect(rendered.length).toBeLessThan(ds.length * 1500);
    for (const d of ds.filter((x) => x.code === 'E201').slice(0, 50)) expect(underCaret(renderDiagnostic(d, 'm.nlm', source))).toBe('w');
  });

  it('short lines are shown whole, as before', () => {
    const source = model('k * zzz');
    const d = compile(source, { stopAfter: 'check' }).diagnostics.find((x) => x.code === 'E201')!;
    const rendered = renderDiagnostic(d, 'm.nlm', source);
    expect(rendered.split('\n')[2]).toBe('9 |   d/dt X = k * zzz');
    expect(underCaret(rendered)).toBe('z');
  });
});
