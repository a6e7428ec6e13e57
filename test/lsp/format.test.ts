/**
 * The formatter (`grammar/format.ts`), shared by `nlmc fmt` and the language server: its layout rules, that it keeps
 * every token and comment, that it is idempotent, and the `nlmc fmt` command.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { describe, expect, it } from 'vitest';
import { formatModel } from '../../grammar/format.js';
import { nlmLexer } from '../../grammar/tokens.js';
import { root } from './lsp-client.js';
import { applyEdit, random, randomEdit } from './random-edits.js';

const examples = ['pk/pk.nlm', 'antibody/antibody.nlm', 'antibody/antibody-times.nlm', 'tgfb/tgfb.nlm', 'theophylline/theophylline.nlm'];
const read = (e: string): string => readFileSync(join(root, 'examples', e), 'utf8');

function format(text: string): string {
  const r = formatModel(text);
  if (!r.ok) throw new Error(r.reason);
  return r.text;
}

/** The body of a block, formatted, without the model line. */
function formatBlock(block: string, body: string): string {
  const out = format(`model m\n${block} {\n${body}\n}\n`);
  return out.slice(`model m\n${block} {\n`.length, -'}\n'.length).replace(/\n$/, '');
}

describe('layout rules', () => {
  it.each([
    ['d/dt X=-k*X', '  d/dt X = -k * X'],
    ['d/dt(X)=  -k*X^-2', '  d/dt(X) = -k * X^-2'],
    ['y=exp( - (t-tau)^2/nu^2 )', '  y = exp(-(t - tau)^2 / nu^2)'],
    ['y=piecewise(t<t2:1,t<t3:a,otherwise:b)', '  y = piecewise(t < t2: 1, t < t3: a, otherwise: b)'],
    ['y=if t>=1 and not(t==2)then -1 else+1', '  y = if t >= 1 and not (t == 2) then -1 else +1'],
    ['y=sum(tau in[1,2]:tau*a)', '  y = sum(tau in [1, 2]: tau * a)'],
    ['y = a-b - -c', '  y = a - b - -c'],
    ['a = 1;b = 2', '  a = 1; b = 2'],
    ['a = 1   b = 2', '  a = 1  b = 2'],
  ])('ode: %s', (input, expected) => {
    expect(formatBlock('ode', input)).toBe(expected);
  });

  it('aligns the columns of parameters: name = value, unit, modifiers', () => {
    expect(formatBlock('parameters', 'ka=1.5 "1/h" lognormal(omega=0.6)\nCL = 0.04 lognormal( omega = 0.3 fixed )\nlongname=-2 in(-3,1) logitnormal effect(b*log(WT/70))')).toBe(
      [
        '  ka       = 1.5   "1/h"  lognormal(omega = 0.6)',
        '  CL       = 0.04         lognormal(omega = 0.3 fixed)',
        '  longname = -2           in (-3, 1) logitnormal effect(b * log(WT / 70))',
      ].join('\n'),
    );
  });

  it('aligns = within runs of the same kind, and trailing comments within consecutive lines', () => {
    const out = formatBlock('ode', '# rates\nk = 1 # first\nlonger = 2   # second\nd/dt X = -k*X # the state\nd/dt Y=X\n\nz = 3 # alone');
    expect(out).toBe(
      [
        '  # rates',
        '  k      = 1        # first',
        '  longer = 2        # second',
        '  d/dt X = -k * X   # the state',
        '  d/dt Y = X',
        '',
        '  z = 3   # alone',
      ].join('\n'),
    );
  });

  it('indents continuation lines by their open brackets', () => {
    expect(formatBlock('ode', 'd/dt X = -k * X +\nsum(tau in [1, 2]:\n   exp(-(t - tau)^2)) *\n      piecewise(t < 10: 1,\n otherwise: 2\n      )')).toBe(
      ['  d/dt X = -k * X +', '    sum(tau in [1, 2]:', '      exp(-(t - tau)^2)) *', '    piecewise(t < 10: 1,', '      otherwise: 2', '    )'].join('\n'),
    );
  });

  it('keeps one-line blocks, drops extra and edge blank lines and trailing spaces', () => {
    const text = '\n\n# m\nmodel   m   \n\n\n\nstates{X(0)=1}\nobserve {   y ~ normal(X,sd=s)   }\n\nerror {\n\n  s = 1\n\n}\n\n\n';
    expect(format(text)).toBe('# m\nmodel m\n\nstates { X(0) = 1 }\nobserve { y ~ normal(X, sd = s) }\n\nerror {\n  s = 1\n}\n');
  });

  it('keeps CRLF line breaks and a byte-order mark', () => {
    expect(format('\uFEFFmodel m\r\nstates {X}\r\n')).toBe('\uFEFFmodel m\r\nstates { X }\r\n');
  });

  it('refuses a model with syntax errors, and says why', () => {
    const r = formatModel('model m\nparameters { a = }\n');
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toEqual(['E101']);
  });
});

describe('on the example models', () => {
  it.each(examples)('%s: keeps every token and comment, and formatting again changes nothing', (e) => {
    const text = read(e);
    const once = format(text);
    expect(format(once)).toBe(once);
    const tokens = (s: string) => {
      const l = nlmLexer.tokenize(s);
      return [...l.tokens, ...(l.groups['comments'] ?? [])].sort((a, b) => a.startOffset - b.startOffset).map((t) => [t.image, t.startLine]);
    };
    expect(tokens(once)).toEqual(tokens(text));
  });

  it.each(examples)('%s follows the layout: formatting leaves it unchanged', (e) => {
    expect(formatModel(read(e))).toMatchObject({ ok: true, changed: false });
  });

  it.each(examples)('%s: any change of spacing within lines formats back to the same text', (e) => {
    const text = read(e);
    const expected = format(text);
    const rand = random(examples.indexOf(e) + 1);
    for (let trial = 0; trial < 50; trial++) {
      // Add or remove spaces and tabs between tokens (where that keeps the tokens), and at the ends of lines.
      const l = nlmLexer.tokenize(text);
      const tokens = [...l.tokens, ...(l.groups['comments'] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
      let out = '';
      let pos = 0;
      for (const t of tokens) {
        const gap = text.slice(pos, t.startOffset);
        const r = rand();
        const sameLine = !gap.includes('\n');
        out += sameLine ? (r < 0.3 ? gap.replace(/ +/g, '') || '' : r < 0.6 ? `${gap}${' \t'[Math.floor(rand() * 2)]!.repeat(1 + Math.floor(rand() * 3))}` : gap) : gap.replace(/\n/g, rand() < 0.2 ? '  \n\t' : '\n');
        out += t.image;
        pos = (t.endOffset ?? t.startOffset) + 1;
      }
      out += text.slice(pos);
      const relexed = nlmLexer.tokenize(out);
      const same = relexed.errors.length === 0 && [...relexed.tokens, ...(relexed.groups['comments'] ?? [])].sort((a, b) => a.startOffset - b.startOffset).map((t) => t.image).join('\u0000') === tokens.map((t) => t.image).join('\u0000');
      if (!same) continue; // two tokens ran together: not a change of spacing
      expect(format(out)).toBe(expected);
    }
  });

  it('is idempotent on thousands of randomly edited models that still parse', async () => {
    const rand = random(99);
    let doc = TextDocument.create('file:///x.nlm', 'nlm', 1, '');
    let formatted = 0;
    for (let i = 0; i < 4000; i++) {
      if (i % 15 === 0) doc = TextDocument.create('file:///x.nlm', 'nlm', 1, read(examples[Math.floor(rand() * examples.length)]!));
      if (i % 300 === 0) await new Promise((r) => setImmediate(r)); // let the test runner's messages through
      applyEdit(doc, randomEdit(doc.getText(), rand), doc.version + 1);
      const r = formatModel(doc.getText());
      if (!r.ok) {
        expect(r.reason).not.toMatch(/internal/);
        continue;
      }
      formatted++;
      expect(formatModel(r.text)).toEqual({ ok: true, text: r.text, changed: false });
    }
    expect(formatted).toBeGreaterThan(200);
  });
});

describe('nlmc fmt', () => {
  const nlmc = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'fmt', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('prints, checks and writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-fmt-'));
    const messy = join(dir, 'messy.nlm');
    const clean = join(dir, 'clean.nlm');
    writeFileSync(messy, read('pk/pk.nlm').replace(/ = /g, '='));
    writeFileSync(clean, read('pk/pk.nlm'));
    expect(nlmc(messy)).toEqual({ code: 0, stdout: read('pk/pk.nlm'), stderr: '' });
    expect(nlmc(clean, messy, '--check')).toEqual({ code: 1, stdout: `${messy}: not formatted\n`, stderr: '' });
    expect(nlmc(messy, '--write')).toEqual({ code: 0, stdout: `formatted ${messy}\n`, stderr: '' });
    expect(readFileSync(messy, 'utf8')).toBe(read('pk/pk.nlm'));
    expect(nlmc(clean, messy, '--check')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('reports syntax errors (exit 1) and unreadable files (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-fmt-'));
    const bad = join(dir, 'bad.nlm');
    writeFileSync(bad, 'model m\nparameters { a = }\n');
    const r = nlmc(bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2:18: error E101:`);
    expect(r.stderr).toContain(`nlmc fmt: ${bad} not formatted: the model has syntax errors; fix them first`);
    expect(readFileSync(bad, 'utf8')).toBe('model m\nparameters { a = }\n');
    expect(nlmc(join(dir, 'none.nlm')).code).toBe(2);
  });

  it('passes `nlmc fmt --check examples/*/*.nlm`: an example opened in an editor that formats on save stays as it is', () => {
    const files = readdirSync(join(root, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(join(root, 'examples', d.name)).filter((f) => f.endsWith('.nlm')).map((f) => `examples/${d.name}/${f}`));
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(nlmc('--check', ...files)).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
