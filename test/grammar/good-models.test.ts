/**
 * Valid models that together use every feature of the language: each must compile to every target with no error
 * and no warning. The feature checks below make sure the models really exercise what they claim to, so that a
 * feature the checker silently ignored would not pass unnoticed; the documented model checks that doc comments
 * and units reach the checked model's symbols.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forEachExpr } from '../../compiler/check/walk.js';
import { compile, type CompileResult } from '../../compiler/pipeline.js';

const dir = fileURLToPath(new URL('./good', import.meta.url));
const models = readdirSync(dir).filter((f) => f.endsWith('.nlm')).sort();

const cache = new Map<string, CompileResult>();
function compiled(file: string): CompileResult {
  let r = cache.get(file);
  if (!r) {
    r = compile(readFileSync(join(dir, file), 'utf8'));
    cache.set(file, r);
  }
  return r;
}

function formatted(r: CompileResult): string[] {
  return r.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`);
}

describe('valid models', () => {
  it('the corpus is present', () => {
    expect(models).toEqual(expect.arrayContaining(['documented.nlm', 'pk-two-routes.nlm', 'pulses.nlm']));
  });

  for (const file of models) {
    it(`${file} compiles with no errors and no warnings`, () => {
      const r = compiled(file);
      expect(formatted(r)).toEqual([]);
      expect(r.checked).toBeDefined();
      expect(r.ir).toBeDefined();
      expect(Object.keys(r.artifacts).sort()).toEqual(['ir', 'ts', 'wgsl']);
    });
  }

  it('pk-two-routes.nlm uses covariates, every transform, bounds, effects, every input qualifier and several outputs', () => {
    const m = compiled('pk-two-routes.nlm').checked!;
    expect(m.covariates.map((c) => [c.name, c.categorical])).toEqual([['WT', false], ['SEX', true], ['AGE', false]]);
    const p = new Map(m.parameters.map((x) => [x.name, x]));
    expect(new Set(m.parameters.map((x) => x.transform.kind))).toEqual(new Set(['normal', 'lognormal', 'logitnormal', 'probitnormal']));
    expect(p.get('tlag')!.transform).toEqual({ kind: 'probitnormal', lower: 0, upper: 2 });
    expect(p.get('Emax')!.transform).toEqual({ kind: 'logitnormal', lower: 0, upper: 100 });
    expect(p.get('F')!.transform).toEqual({ kind: 'logitnormal', lower: 0, upper: 1 });
    expect(p.get('CL')!.effects).toHaveLength(2);
    expect(p.get('EC50')!.effects).toHaveLength(1);
    expect(p.get('V')!.omega).toEqual({ initial: 0.2, fixed: true });
    expect(p.get('ka')!.omega).toEqual({ initial: 0.5, fixed: false });
    expect(p.get('Tinf')!.fixed).toBe(true);
    expect(p.get('Tinf')!.omega).toBeUndefined();
    const inputs = new Map(m.inputs.map((i) => [i.name, i]));
    expect(inputs.get('oral')).toMatchObject({ target: 'depot', cmt: 1, infusion: false });
    expect(inputs.get('oral')!.lag).toBeDefined();
    expect(inputs.get('oral')!.bioavailability).toBeDefined();
    expect(inputs.get('iv')).toMatchObject({ target: 'central', cmt: 2, infusion: true });
    expect(inputs.get('short')).toMatchObject({ cmt: 3, infusion: true });
    expect(inputs.get('short')!.duration).toBeDefined();
    expect(inputs.get('slow')).toMatchObject({ cmt: 4, infusion: true });
    expect(inputs.get('slow')!.rate).toBeDefined();
    expect(m.observations.map((o) => [o.name, o.dvid, o.dataTransform ?? null, o.errorModel.kind, o.censoring ?? null])).toEqual([
      ['cp', 1, null, 'combined2', 'left'],
      ['cp_log', 2, 'log', 'constant', null],
      ['resp', 3, null, 'proportional', null],
    ]);
    expect(m.errorParameters.map((e) => [e.name, e.fixed])).toEqual([['sigma_log', false], ['b_resp', true], ['a', false], ['b', false]]);
    expect(m.states.find((s) => s.name === 'Ce')!.initial).toBeDefined();
  });

  it('pulses.nlm uses constants and lists, sum, piecewise, if/then/else, mlp, model doses and log10 data', () => {
    const r = compiled('pulses.nlm');
    const m = r.checked!;
    expect(m.constants.get('challenges')).toEqual([50, 90, 130]);
    expect(m.constants.get('width')).toBe(6);
    const kinds = new Set<string>();
    for (const d of m.definitions) forEachExpr(d.value, (e) => kinds.add(e.kind === 'call' ? `call:${e.callee}` : e.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['sum', 'piecewise', 'if', 'call:mlp', 'list']));
    expect(m.doses).toHaveLength(2);
    expect(m.doses[0]!.times).toHaveLength(2);
    expect(m.doses[0]!.duration).toBeDefined();
    expect(m.doses[1]!.duration).toBeUndefined();
    expect(m.observations.map((o) => [o.name, o.dvid, o.dataTransform ?? null, o.errorModel])).toEqual([
      ['resp', 1, 'log10', { kind: 'constant', a: 'resp_sd' }],
      ['conc', 2, null, { kind: 'proportional', b: 'conc_b' }],
    ]);
    expect(m.states.find((s) => s.name === 'R')!.initial).toBeDefined();
    expect(r.ir!.parameters.some((p) => p.neural)).toBe(true);
  });

  it('documented.nlm: doc comments and units reach the checked model', () => {
    const r = compiled('documented.nlm');
    const symbols = r.checked!.symbols;
    const info = (name: string): { kind?: string; doc?: string; unit?: string } => {
      const s = symbols.get(name);
      return { kind: s?.kind, doc: s?.doc, unit: s?.unit };
    };
    expect(info('WT')).toEqual({ kind: 'covariate', doc: 'body weight', unit: 'kg' });
    expect(info('WT_ref')).toEqual({ kind: 'constant', doc: 'reference body weight', unit: undefined });
    expect(info('ka')).toEqual({ kind: 'parameter', doc: 'absorption rate constant', unit: '1/h' });
    expect(info('CL')).toEqual({ kind: 'parameter', doc: 'clearance\nfor a 70 kg adult', unit: 'L/h' });
    expect(info('V')).toEqual({ kind: 'parameter', doc: 'volume of distribution', unit: 'L' });
    expect(info('depot')).toEqual({ kind: 'state', doc: 'amount at the absorption site', unit: 'mg' });
    expect(info('central')).toEqual({ kind: 'state', doc: 'amount in the central compartment', unit: 'mg' });
    expect(info('conc')).toEqual({ kind: 'definition', doc: 'plasma concentration', unit: undefined });
    expect(info('sigma')).toEqual({ kind: 'errorParameter', doc: 'additive residual standard deviation', unit: undefined });
    // The checked declarations carry them too, and so does the IR.
    const cl = r.checked!.parameters.find((p) => p.name === 'CL')!;
    expect([cl.doc, cl.unit]).toEqual(['clearance\nfor a 70 kg adult', 'L/h']);
    expect(r.checked!.errorParameters.find((e) => e.name === 'sigma')!.doc).toBe('additive residual standard deviation');
    expect(r.ir!.parameters.find((p) => p.name === 'ka')).toMatchObject({ doc: 'absorption rate constant', unit: '1/h' });
    expect(r.ir!.states.find((s) => s.name === 'central')).toMatchObject({ doc: 'amount in the central compartment', unit: 'mg' });
  });
});
