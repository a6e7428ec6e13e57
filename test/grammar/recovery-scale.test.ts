/**
 * Parser recovery on large broken inputs (issue #17 item 7; reproducers in test/fixtures/repro/fuzz): every error is
 * reported where it is, however many there are, and a stray keyword is reported as itself. Before grammar/recovery.ts,
 * Chevrotain re-entered a repetition by recursion at each recovery, so a block with ~1,300 bad lines overflowed the
 * stack and the file got one "nests too deeply" message instead of its errors (and took 8–21 s; the times are in
 * `npm run bench:parse`, not asserted here).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { formatModel } from '../../grammar/format.js';
import { maxChain, maxIfChain } from '../../grammar/parse.js';

const fuzz = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/repro/fuzz/${name}`, import.meta.url)), 'utf8');
const shown = (ds: readonly { code: string; range: { start: { line: number; column: number } }; message: string }[]): string[] =>
  ds.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`);

const header = 'model broken\nparameters {\n  k = 0.5 lognormal(omega = 0.3)\n}\n';

describe('recovery reports every error of a large broken file', () => {
  it('3,000 broken lines in one block: one error on each line, at its place', () => {
    const n = 3000;
    const lines = Array.from({ length: n }, (_, i) => `  f${i} = ) ( * ,`);
    const r = compile(`${header}ode {\n${lines.join('\n')}\n}\n`);
    // Line 6 is the first statement of the ode block; each error is at the line's ')'.
    const expected = lines.map((l, i) => `E101 ${6 + i}:${l.indexOf(')') + 1} expected an expression, found ')'`);
    expect(shown(r.diagnostics)).toEqual(expected);
  });

  it.each([
    ['the arguments of a call (a separated repetition)', 'max(', '  1 2,', '  1)', "expected ',' or ')', found the number 2: arguments are separated by commas", 5],
    ['the cases of a piecewise (a separated repetition of at least one)', 'piecewise(', '  k < 1: 1 2,', '  otherwise: 1)', "expected ')', found the number 2", 12],
    ['the items of a list', '[', '  1 2,', '  1]', "expected ']', found the number 2", 5],
  ])('2,000 broken items in %s: one error on each line', (_, open, item, close, message, column) => {
    const n = 2000;
    const r = compile(`${header}ode {\n  y = ${open}\n${Array.from({ length: n }, () => item).join('\n')}\n${close}\n}\n`);
    // The items start on line 7.
    expect(shown(r.diagnostics)).toEqual(Array.from({ length: n }, (_, i) => `E101 ${7 + i}:${column} ${message}`));
  });

  it('10,000 chained ^ in a states block: the one mistake, where it starts', () => {
    const source = fuzz('pow-chain-10000-in-states.nlm');
    const r = compile(source);
    expect(shown(r.diagnostics)).toEqual(["E101 11:5 expected '}', found '^'"]);
    const f = formatModel(source);
    expect(f.ok).toBe(false);
    if (!f.ok) expect(shown(f.diagnostics)).toEqual(["E101 11:5 expected '}', found '^'"]);
  });

  it('4,000 chained else-ifs where an initial condition belongs: the one mistake', () => {
    const source = fuzz('if-chain-4000-in-initial.nlm');
    expect(shown(compile(source).diagnostics)).toEqual(["E101 12:6 expected a number, found 'if'"]);
    const f = formatModel(source);
    if (f.ok) throw new Error('formatted a model with a syntax error');
    expect(shown(f.diagnostics)).toEqual(["E101 12:6 expected a number, found 'if'"]);
  });

  it('a stray `states` inside an equation, then 500 definitions: the stray keyword is the syntax error, the ode block is still read', () => {
    const source = fuzz('stray-states-keyword-then-500-piecewise.nlm');
    const r = compile(source);
    const syntax = r.diagnostics.filter((d) => d.code === 'E101' || d.code === 'E100');
    expect(shown(syntax)).toEqual(["E101 26:54 expected an expression, found 'states'"]);
    // The rest is the file's real fault: `fM` is defined again on each of the following lines (27 to 527).
    const rest = r.diagnostics.filter((d) => !syntax.includes(d));
    const fmLines = source.split('\n').flatMap((l, i) => (i + 1 > 26 && /^ {2}fM = /.test(l) ? [i + 1] : []));
    expect(fmLines.length).toBeGreaterThan(400);
    expect(shown(rest)).toEqual(fmLines.map((line) => `E200 ${line}:3 'fM' is already declared as a definition`));
    const f = formatModel(source);
    if (f.ok) throw new Error('formatted a model with a syntax error');
    expect(shown(f.diagnostics)).toEqual(["E101 26:54 expected an expression, found 'states'"]);
  });

  it('a block keyword that does start a block is still where recovery resumes (a missing `}`)', () => {
    const source = `${header}ode {\n  y = (k +\nobserve {\n  c ~ normal(k, sd = s)\n}\nerror {\n  s = 0.1\n}\n`;
    const r = compile(source);
    const syntax = shown(r.diagnostics.filter((d) => d.code === 'E101'));
    expect(syntax.length).toBe(1);
    expect(syntax[0]).toMatch(/^E101 6:/);
  });
});

describe('a chain too long for the parser is one error, and the file keeps its others', () => {
  const file = (rhs: string): string =>
    `model chains\nparameters {\n  k = 0.5 lognormal(omega = 0.3)\n}\nstates {\n  X(0) = 1\n}\node {\n  a = ${rhs}\n  d/dt X = -k * X + nope\n}\n` +
    'observe {\n  y ~ normal(X, sd = sigma)\n}\nerror {\n  sigma = 0.1\n}\n';
  // The chain's value starts at line 9, column 7; the unknown name is on line 10.
  const unknown = "E201 10:21 unknown name 'nope'";
  it.each([
    ['3,000 powers', Array(3000).fill('k').join(' ^ ')],
    ['3,000 minus signs', `${'-'.repeat(3000)}k`],
    ['3,000 nots', `if ${'not '.repeat(3000)}k > 1 then 1 else 0`],
    ['3,000 else-ifs', `${'if k < 1 then 1 else '.repeat(3000)}0`],
    ['powers in a call argument', `exp(${Array(3000).fill('k').join('^')})`],
  ])('%s: "nests too deeply" where the value starts, and the unknown name below it', (_, rhs) => {
    const r = compile(file(rhs));
    const shownAll = shown(r.diagnostics);
    expect(shownAll[0]).toBe('E101 9:7 this expression nests too deeply: split it into definitions');
    expect(shownAll.slice(1).some((d) => d.startsWith(unknown))).toBe(true);
  });

  it(`accepts ${maxChain} powers, ${maxChain} signs and ${maxIfChain} else-ifs; one more of each is reported`, () => {
    const ok = (rhs: string): string[] => shown(compile(file(rhs)).diagnostics).filter((d) => d.startsWith('E101'));
    expect(ok(Array(maxChain + 1).fill('k').join('^'))).toEqual([]);
    expect(ok(`${'-'.repeat(maxChain)}k`)).toEqual([]);
    expect(ok(`${'if k < 1 then 1 else '.repeat(maxIfChain)}0`)).toEqual([]);
    const deep = ['E101 9:7 this expression nests too deeply: split it into definitions'];
    expect(ok(Array(maxChain + 2).fill('k').join('^'))).toEqual(deep);
    expect(ok(`${'-'.repeat(maxChain + 1)}k`)).toEqual(deep);
    expect(ok(`${'if k < 1 then 1 else '.repeat(maxIfChain + 1)}0`)).toEqual(deep);
  });

  it('only values are counted: a long chain where no expression belongs stays the plain syntax error it is', () => {
    const r = compile(`${header}states {\n  ${Array(500).fill('X').join('^')}\n}\n`);
    expect(shown(r.diagnostics)).toEqual(["E101 6:4 expected '}', found '^'"]);
  });
});
