/**
 * The three shapes that took over a second in `npm run bench:fuzz` (seed 2027, 10⁵ inputs; issue #17), generated
 * here at the bench's sizes. Each is checked by what bounds its work, not by a time (the times are the bench's):
 * - 2,000 diagnostics on an 807 KB line (input 31243): the renderer split the whole source into lines once per
 *   diagnostic (5 s); it splits it once.
 * - power chains inside a modifier's arguments (input 59637): the chain limit counted only statement values, so 300
 *   chains of 70 in `lognormal(…)` parsed 21,000 levels of recursion, and a longer chain overflowed the stack (the
 *   file's other diagnostics lost); it is now one located "nests too deeply".
 * - `piecewise + piecewise + …` (input 3318): recovery inserted the missing '(' each time, nesting the rest of the
 *   line one level deeper per term until the stack overflowed (the file's other diagnostics lost); now the missing
 *   '(' is the error, reported once, and the rest of the file is still checked.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { renderDiagnostics } from '../../diagnostics/render.js';

const shown = (ds: readonly { code: string; range: { start: { line: number; column: number } }; message: string }[]): string[] =>
  ds.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`);

/** A model with an extra parameter line, ode line or dosing block; `nope` on line 10 is an unknown name, always. */
const model = (parameter: string, ode: string, dosing = ''): string =>
  `model shapes\nparameters {\n  k = 0.5 lognormal(omega = 0.3)\n${parameter}}\nstates {\n  X(0) = 1\n}\node {\n${ode}  d/dt X = -k * X + nope\n}\n` +
  `${dosing}observe {\n  y ~ normal(X, sd = sigma)\n}\nerror {\n  sigma = 0.1\n}\n`;
const unknown = "E201 10:21 unknown name 'nope'";
const deep = 'this expression nests too deeply: split it into definitions';
const chain = (n: number, x = 'omega'): string => Array(n).fill(x).join('^');

describe('the slow shapes of the fuzz bench', () => {
  it('2,000 diagnostics on an 807 KB line: each rendered under its own number, the source split into lines once', () => {
    const big = '9'.repeat(400);
    const source = model(`  V = 40 "L" lognormal(omega = ${Array(2000).fill(big).join(' + ')})\n`, '  w = 1\n');
    expect(source.length).toBeGreaterThan(800_000);
    const ds = compile(source, { stopAfter: 'check' }).diagnostics;
    const tooLarge = ds.filter((d) => d.code === 'E102');
    expect(tooLarge.length).toBe(2000);
    for (const d of tooLarge) expect(source.slice(d.range.start.offset, d.range.end.offset)).toBe(big);

    const split = String.prototype.split;
    let splits = 0;
    String.prototype.split = function (this: string, ...args: Parameters<typeof split>) {
      if (this.length === source.length) splits++;
      return split.apply(this, args);
    } as typeof split;
    let rendered: string;
    try {
      rendered = renderDiagnostics(ds, 'm.nlm', source);
    } finally {
      String.prototype.split = split;
    }
    expect(splits).toBe(1);
    const blocks = rendered.split('\n\n');
    expect(blocks.length).toBe(ds.length + 1);
    // Each E102's caret line marks 400 characters of its number (the window keeps the caret in view).
    const numberBlocks = blocks.filter((b) => b.includes('error E102'));
    expect(numberBlocks.length).toBe(2000);
    for (const b of numberBlocks.slice(0, 100)) {
      const [, , text, caret] = b.split('\n');
      const at = caret!.indexOf('^') - caret!.indexOf('|') + text!.indexOf('|');
      expect(text![at]).toBe('9');
    }
  });

  it.each([
    ['300 chains of 70 powers summed in a modifier argument (bench input 59637)', `lognormal(${Array(300).fill(chain(70)).join(' + ')} = 0.3)`, 24],
    ['3,000 powers in a named modifier argument', `lognormal(omega = ${chain(3000)})`, 24],
    ['3,000 minus signs in a modifier argument', `lognormal(omega = ${'-'.repeat(3000)}0.3)`, 24],
    ['3,000 else-ifs in a modifier argument', `lognormal(omega = ${'if k < 1 then 1 else '.repeat(3000)}0.3)`, 24],
    ['a chain in the second argument of a modifier', `in (0, 1) effect(k, ${chain(3000, 'k')})`, 34],
  ])('%s: "nests too deeply" where the argument starts, and the rest of the file checked', (_, modifiers, column) => {
    const r = compile(model(`  V = 40 "L" ${modifiers}\n`, ''), { stopAfter: 'check' });
    const all = shown(r.diagnostics);
    expect(all.filter((d) => d.startsWith('E101'))).toEqual([`E101 4:${column} ${deep}`]);
    expect(all).toContain(unknown);
  });

  it('3,000 powers in a dose amount: "nests too deeply" where the amount starts, and the rest of the file checked', () => {
    const r = compile(model('', '', `dosing {\n  dose ${chain(3000, 'k')} -> X at 0\n}\n`), { stopAfter: 'check' });
    const all = shown(r.diagnostics);
    expect(all.filter((d) => d.startsWith('E101'))).toEqual([`E101 12:8 ${deep}`]);
    expect(all).toContain("E201 9:21 unknown name 'nope'");
  });

  it.each([200, 2000])("'piecewise + piecewise + …' %i times (bench input 3318): the missing '(' once, and the rest of the file checked", (n) => {
    const r = compile(model('', `  tk = ${Array(n).fill('piecewise').join(' + ')}\n`), { stopAfter: 'check' });
    // One error per line is shown: the first, at the '+' after the first 'piecewise' (line 9, column 18).
    expect(shown(r.diagnostics)).toEqual(["E101 9:18 expected '(', found '+'", unknown]);
  });

  it("where no expression belongs, a long chain stays the plain syntax error it is (a state's initial time)", () => {
    const states = compile(`model m\nstates {\n  X(${chain(500, 'k')}) = 1\n}\n`, { stopAfter: 'check' });
    expect(shown(states.diagnostics).filter((d) => d.startsWith('E101'))).toEqual(["E101 3:5 expected a number, found 'k'"]);
  });
});
