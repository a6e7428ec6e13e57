/**
 * Every derivative function of the emitted TS model module against central finite differences of the value
 * function it differentiates, for every example model and for an inline model that reaches the remaining paths
 * (covariate effects, logitnormal/probitnormal, lag and bioavailability, model-given infusions, doses at
 * parameter-dependent times, combined error models, an mlp term, a parameter-dependent breakpoint).
 * Second derivatives (`Differentiator.d` applied twice) are checked against differences of first derivatives,
 * both evaluated by a small IR interpreter.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Differentiator } from '../../compiler/diff/differentiate.js';
import { modelFunctions } from '../../compiler/emit/model-functions.js';
import { topoOrder, type ExprNode, type NodeId, type VarKind } from '../../compiler/ir/expr.js';
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { compile, type CompileResult } from '../../compiler/pipeline.js';
import { loadTsModel, type Out, type TsModelFunctionName, type TsModelModule } from '../../runtime/model/load-ts-module.js';
import { builtins } from '../../stdlib/builtins.js';
import { mulberry32 as rng } from '../support/seeded-random.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every .nlm file under examples/. */
function exampleModels(): { name: string; source: string }[] {
  const dir = join(root, 'examples');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.nlm'))
    .sort()
    .map((f) => ({ name: relative(root, join(dir, f)), source: readFileSync(join(dir, f), 'utf8') }));
}

/** A model written to reach every derivative path the examples leave out. */
const STRESS_MODEL = `
model stress

covariates {
  WT "kg"
  AGE "y"
}

parameters {
  ka    = 1.2  lognormal(omega = 0.4)
  CL    = 3.5  lognormal(omega = 0.3) effect(bWT * log(WT / 70)) effect(bAGE * (AGE - 40))
  V     = 30   lognormal(omega = 0.2) effect(log(WT / 70))
  bWT   = 0.75
  bAGE  = -0.01
  F1    = 0.7  logitnormal(omega = 0.5)
  tlag  = 0.4  in (0, 2) probitnormal(omega = 0.3)
  Emax  = 0.6  in (0.1, 1.5) logitnormal
  EC50  = 2    lognormal
  gam   = 1.5  in (0.5, 4) probitnormal
  Dload = 50   lognormal
  tdose = 12   lognormal
  Tinf  = 1.5  lognormal
  R     = 8    lognormal
  tsw   = 20   lognormal
  kout  = 0.3  lognormal fixed
}

states {
  depot "mg"
  central(0) = 0.1 * Dload
  periph(0) = V / 10
  effect(0) = 1 - Emax / 2
}

dosing {
  input oral -> depot lag(tlag) bioavailability(F1)
  input iv -> central duration(Tinf)
  input inf -> central rate(R * sqrt(WT / 70)) cmt(4)
  dose Dload -> central at [0, tdose, 2 * tdose + tlag]
  dose 10 * F1 -> depot at tdose / 2 + 1 duration(0.5 * Tinf)
}

ode {
  conc = central / V
  Eff = Emax * hill(conc, EC50, gam)
  kel = CL / V * piecewise(t < tsw: 1, otherwise: 1.2)
  d/dt depot = -ka * depot
  d/dt central = ka * depot - kel * central - 0.5 * central + 0.2 * periph + mlp(conc, WT / 70, hidden = [3], activation = tanh)
  d/dt periph = 0.5 * central - 0.2 * periph
  d/dt effect = kout * (1 - Eff) - kout * effect
}

observe {
  cp ~ normal(conc, sd = combined(a = 0.1, b = 0.15))
  log(cobs) ~ normal(log(conc), sd = combined1(ra = 0.05, rb = 0.1))
  resp ~ normal(effect, sd = proportional(pb = 0.2))
  lresp ~ normal(logit(effect / 2), sd = sl)
}

error {
  sl = 0.3
}
`;

/** The functions `TsModelModule` declares; checked against `modelFunctions` so the two cannot drift apart. */
const FUNCTION_NAMES = [
  'individual', 'individualDphi', 'individualDeta', 'initial', 'initialDp', 'rhs', 'rhsDx', 'rhsDt', 'rhsDp', 'predict', 'predictDx', 'predictDp',
  'errorSd', 'errorSdDf', 'errorSdDe', 'breakpoints', 'breakpointsDp', 'inputLag', 'inputLagDp', 'inputBioavailability',
  'inputBioavailabilityDp', 'inputDuration', 'inputDurationDp', 'inputRate', 'inputRateDp', 'doseAmount', 'doseAmountDp', 'doseTime',
  'doseTimeDp', 'doseDuration', 'doseDurationDp',
] as const satisfies readonly TsModelFunctionName[];

// ---- numerics ----


/** Calls a model function into a NaN-filled buffer and insists on exactly `length` finite results. */
function evaluate(label: string, length: number, run: (out: Out) => void): number[] {
  const out = new Array<number>(length).fill(NaN);
  run(out);
  expect(out.length, `${label} wrote past its ${length} results`).toBe(length);
  for (let i = 0; i < length; i++) expect(Number.isFinite(out[i]), `${label}[${i}] = ${out[i]}`).toBe(true);
  return out;
}

/**
 * Checks analytic (rows × columns.length, row-major) against central differences of `value` along the listed
 * coordinates of `at`, with step 1e-6·max(1, |v|). Relative error 1e-6, with an absolute floor of
 * 1e-8·max(1, |value|) for entries that are ~0 (the difference quotient's rounding is ~2e-10·|value|).
 */
function checkJacobian(label: string, value: (v: readonly number[]) => readonly number[], at: readonly number[], analytic: readonly number[], columns: readonly number[]): void {
  const f0 = value(at);
  const rows = f0.length;
  expect(analytic.length, `${label}: size`).toBe(rows * columns.length);
  const failures: string[] = [];
  columns.forEach((k, j) => {
    const h = 1e-6 * Math.max(1, Math.abs(at[k]!));
    const up = [...at];
    const down = [...at];
    up[k] = at[k]! + h;
    down[k] = at[k]! - h;
    const fu = value(up);
    const fd = value(down);
    for (let i = 0; i < rows; i++) {
      const fdv = (fu[i]! - fd[i]!) / (up[k]! - down[k]!);
      const an = analytic[i * columns.length + j]!;
      const tol = 1e-6 * Math.abs(an) + 1e-8 * Math.max(1, Math.abs(f0[i]!));
      if (!(Math.abs(an - fdv) <= tol)) failures.push(`${label}[${i}, ${j}] (∂/∂coordinate ${k}): analytic ${an}, finite difference ${fdv}`);
    }
  });
  expect(failures, label).toEqual([]);
}

// ---- sample points ----

interface Point {
  readonly t: readonly number[];
  readonly x: readonly number[];
  readonly p: readonly number[];
  readonly c: readonly number[];
  readonly phi: readonly number[];
  readonly eta: readonly number[];
  readonly e: readonly number[];
  readonly f: readonly number[];
}

const covariateValue: Readonly<Record<string, (u: number) => number>> = {
  WT: (u) => 70 * (0.8 + 0.4 * u),
  AGE: (u) => 25 + 40 * u,
  t2: () => 30,
  t3: () => 250,
};
const TIMES = [0.5, 7.3, 25.4, 45.1, 131.7, 300.2];

function samplePoints(ir: ModelIR, mod: TsModelModule, seed: number, count: number): Point[] {
  const u = rng(seed);
  const jitter = (v: number): number => v * (0.8 + 0.4 * u());
  return Array.from({ length: count }, () => {
    const c = ir.covariates.map((cv) => (covariateValue[cv.name] ?? (() => 1))(u()));
    // Natural-scale parameters at their initial values ±20 %; network weights anywhere in a sensible range.
    const p = ir.parameters.map((q) => (q.neural ? -0.8 + 1.6 * u() : q.initial === 0 ? 0.2 * (u() - 0.5) : jitter(q.initial)));
    const phi = ir.parameters.map((q) => (q.neural ? -0.8 + 1.6 * u() : q.estimationInitial + 0.4 * (u() - 0.5)));
    const eta = ir.randomEffects.map(() => 0.6 * (u() - 0.5));
    const e = ir.errorParameters.map((q) => jitter(q.initial));
    // States near x0 when it is positive; otherwise a positive value of order one.
    const x0 = evaluate('initial', mod.dims.nx, (out) => mod.initial(p, c, out));
    const x = x0.map((v) => (v > 0 ? jitter(v) : 0.5 + 4.5 * u()));
    // Times away from every breakpoint, where the RHS jumps (2h = 2e-6·t would straddle one there).
    const bps = evaluate('breakpoints', mod.dims.nbreakpoints, (out) => mod.breakpoints(p, c, out));
    const t = TIMES.filter((s) => bps.every((b) => Math.abs(s - b) > 1e-3 * Math.max(1, Math.abs(b))));
    // Predictions of both signs, away from 0 where |f| has its kink.
    const f = [0.3 + 3 * u(), -(0.3 + 3 * u()), 20 + 30 * u()];
    return { t, x, p, c, phi, eta, e, f };
  });
}

// ---- an IR interpreter, for second derivatives (which have no emitted function) ----

type Env = Partial<Record<Exclude<VarKind, 't' | 'f'>, readonly number[]>> & { readonly t?: number; readonly f?: number };

function interpret(ir: ModelIR, roots: readonly NodeId[], env: Env): number[] {
  const value = new Map<NodeId, number>();
  const v = (id: NodeId): number => value.get(id)!;
  const variable = (n: Extract<ExprNode, { op: 'var' }>): number => {
    if (n.kind === 't') return env.t!;
    if (n.kind === 'f') return env.f!;
    const vec = env[n.kind];
    if (!vec) throw new Error(`no values for ${n.kind}`);
    return vec[n.index]!;
  };
  for (const id of topoOrder(ir.builder.pool, roots)) {
    const n = ir.builder.node(id);
    value.set(id, evalNode(n, v, variable));
  }
  return roots.map(v);
}

function evalNode(n: ExprNode, v: (id: NodeId) => number, variable: (n: Extract<ExprNode, { op: 'var' }>) => number): number {
  switch (n.op) {
    case 'const': return n.value;
    case 'var': return variable(n);
    case 'add': return v(n.a) + v(n.b);
    case 'sub': return v(n.a) - v(n.b);
    case 'mul': return v(n.a) * v(n.b);
    case 'div': return v(n.a) / v(n.b);
    case 'pow': return Math.pow(v(n.a), v(n.b));
    case 'neg': return -v(n.a);
    case 'call': return builtins.get(n.fn)!.evaluate(n.args.map(v));
    case 'lt': return v(n.a) < v(n.b) ? 1 : 0;
    case 'le': return v(n.a) <= v(n.b) ? 1 : 0;
    case 'gt': return v(n.a) > v(n.b) ? 1 : 0;
    case 'ge': return v(n.a) >= v(n.b) ? 1 : 0;
    case 'eq': return v(n.a) === v(n.b) ? 1 : 0;
    case 'ne': return v(n.a) !== v(n.b) ? 1 : 0;
    case 'and': return v(n.a) !== 0 && v(n.b) !== 0 ? 1 : 0;
    case 'or': return v(n.a) !== 0 || v(n.b) !== 0 ? 1 : 0;
    case 'not': return v(n.a) === 0 ? 1 : 0;
    case 'select': return v(n.cond) !== 0 ? v(n.then) : v(n.else);
  }
}

// ---- the checks ----

interface Compiled {
  readonly result: CompileResult;
  readonly ir: ModelIR;
  readonly mod: TsModelModule;
  readonly points: readonly Point[];
  /** Index in `p` of each sensitivity column. */
  readonly sens: readonly number[];
}

async function compileAndLoad(source: string, seed: number): Promise<Compiled> {
  const result = compile(source, { emit: ['ts'] });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, 'compile errors').toEqual([]);
  const ir = result.ir!;
  const mod = await loadTsModel(result.artifacts.ts!);
  const sens = mod.names.sensitivityParameters.map((n) => mod.names.parameters.indexOf(n));
  return { result, ir, mod, points: samplePoints(ir, mod, seed, 3), sens };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function describeModel(name: string, source: string, seed: number, extra?: (get: () => Compiled) => void): void {
  describe(name, () => {
    let m: Compiled;
    beforeAll(async () => {
      m = await compileAndLoad(source, seed);
    });

    it('exports every model function, with the declared sizes and sensitivity columns', () => {
      const { mod, ir, result, sens } = m;
      const declared = modelFunctions(ir, result.derivatives!).map((f) => f.name);
      expect([...declared].sort()).toEqual([...FUNCTION_NAMES].sort());
      for (const f of FUNCTION_NAMES) expect(typeof mod[f], f).toBe('function');
      expect(sens).toEqual(ir.sensitivityParameters);
      expect(mod.dims).toMatchObject({ nx: ir.states.length, np: ir.parameters.length, ns: ir.sensitivityParameters.length, nout: ir.outputs.length });
      expect(mod.doseTargets.length).toBe(mod.dims.ndoses);
      for (const pt of m.points) expect(pt.t.length).toBeGreaterThanOrEqual(4);
    });

    it('rhsDx, rhsDt and rhsDp match differences of rhs', () => {
      const { mod, points, sens } = m;
      const { nx, ns } = mod.dims;
      points.forEach((pt, k) => {
        for (const t of pt.t) {
          const at = `point ${k}, t = ${t}`;
          const dx = evaluate('rhsDx', nx * nx, (out) => mod.rhsDx(t, pt.x, pt.p, pt.c, out));
          checkJacobian(`rhsDx, ${at}`, (x) => evaluate('rhs', nx, (out) => mod.rhs(t, x, pt.p, pt.c, out)), pt.x, dx, range(nx));
          const dp = evaluate('rhsDp', nx * ns, (out) => mod.rhsDp(t, pt.x, pt.p, pt.c, out));
          checkJacobian(`rhsDp, ${at}`, (p) => evaluate('rhs', nx, (out) => mod.rhs(t, pt.x, p, pt.c, out)), pt.p, dp, sens);
          // t is at least 1e-3·t away from every breakpoint, so the difference does not straddle a jump.
          const dt = evaluate('rhsDt', nx, (out) => mod.rhsDt(t, pt.x, pt.p, pt.c, out));
          checkJacobian(`rhsDt, ${at}`, (v) => evaluate('rhs', nx, (out) => mod.rhs(v[0]!, pt.x, pt.p, pt.c, out)), [t], dt, [0]);
        }
      });
    });

    it('initialDp matches differences of initial', () => {
      const { mod, points, sens } = m;
      const { nx, ns } = mod.dims;
      points.forEach((pt, k) => {
        const dp = evaluate('initialDp', nx * ns, (out) => mod.initialDp(pt.p, pt.c, out));
        checkJacobian(`initialDp, point ${k}`, (p) => evaluate('initial', nx, (out) => mod.initial(p, pt.c, out)), pt.p, dp, sens);
      });
    });

    it('predictDx and predictDp match differences of predict, for every output', () => {
      const { mod, points, sens } = m;
      const { nx, ns, nout } = mod.dims;
      points.forEach((pt, k) => {
        for (const t of pt.t) {
          for (let o = 0; o < nout; o++) {
            const at = `output ${mod.names.outputs[o]}, point ${k}, t = ${t}`;
            const dx = evaluate('predictDx', nx, (out) => mod.predictDx(o, t, pt.x, pt.p, pt.c, out));
            checkJacobian(`predictDx, ${at}`, (x) => evaluate('predict', 1, (out) => mod.predict(o, t, x, pt.p, pt.c, out)), pt.x, dx, range(nx));
            const dp = evaluate('predictDp', ns, (out) => mod.predictDp(o, t, pt.x, pt.p, pt.c, out));
            checkJacobian(`predictDp, ${at}`, (p) => evaluate('predict', 1, (out) => mod.predict(o, t, pt.x, p, pt.c, out)), pt.p, dp, sens);
          }
        }
      });
    });

    it('errorSdDf and errorSdDe match differences of errorSd, for every output', () => {
      const { mod, points } = m;
      const { ne, nout } = mod.dims;
      points.forEach((pt, k) => {
        for (const f of pt.f) {
          for (let o = 0; o < nout; o++) {
            const at = `output ${mod.names.outputs[o]}, point ${k}, f = ${f}`;
            const df = evaluate('errorSdDf', 1, (out) => mod.errorSdDf(o, f, pt.e, out));
            checkJacobian(`errorSdDf, ${at}`, (v) => evaluate('errorSd', 1, (out) => mod.errorSd(o, v[0]!, pt.e, out)), [f], df, [0]);
            const de = evaluate('errorSdDe', ne, (out) => mod.errorSdDe(o, f, pt.e, out));
            checkJacobian(`errorSdDe, ${at}`, (e) => evaluate('errorSd', 1, (out) => mod.errorSd(o, f, e, out)), pt.e, de, range(ne));
          }
        }
      });
    });

    it('individualDphi and individualDeta match differences of individual', () => {
      const { mod, points } = m;
      const { np, neta } = mod.dims;
      points.forEach((pt, k) => {
        const dphi = evaluate('individualDphi', np * np, (out) => mod.individualDphi(pt.phi, pt.eta, pt.c, out));
        checkJacobian(`individualDphi, point ${k}`, (phi) => evaluate('individual', np, (out) => mod.individual(phi, pt.eta, pt.c, out)), pt.phi, dphi, range(np));
        const deta = evaluate('individualDeta', np * neta, (out) => mod.individualDeta(pt.phi, pt.eta, pt.c, out));
        checkJacobian(`individualDeta, point ${k}`, (eta) => evaluate('individual', np, (out) => mod.individual(pt.phi, eta, pt.c, out)), pt.eta, deta, range(neta));
      });
    });

    it('breakpointsDp matches differences of breakpoints', () => {
      const { mod, points, sens } = m;
      const { nbreakpoints: nb, ns } = mod.dims;
      points.forEach((pt, k) => {
        const dp = evaluate('breakpointsDp', nb * ns, (out) => mod.breakpointsDp(pt.p, pt.c, out));
        checkJacobian(`breakpointsDp, point ${k}`, (p) => evaluate('breakpoints', nb, (out) => mod.breakpoints(p, pt.c, out)), pt.p, dp, sens);
      });
    });

    it('input and dose Dp functions match differences of their values', () => {
      const { mod, points, sens } = m;
      const { ns, ninputs, ndoses } = mod.dims;
      const pairs = [
        ['inputLag', 'inputLagDp', ninputs], ['inputBioavailability', 'inputBioavailabilityDp', ninputs],
        ['inputDuration', 'inputDurationDp', ninputs], ['inputRate', 'inputRateDp', ninputs],
        ['doseAmount', 'doseAmountDp', ndoses], ['doseTime', 'doseTimeDp', ndoses], ['doseDuration', 'doseDurationDp', ndoses],
      ] as const;
      points.forEach((pt, k) => {
        for (const [valueName, gradName, cases] of pairs) {
          for (let i = 0; i < cases; i++) {
            const grad = evaluate(gradName, ns, (out) => mod[gradName](i, pt.p, pt.c, out));
            checkJacobian(`${gradName}(${i}), point ${k}`, (p) => evaluate(valueName, 1, (out) => mod[valueName](i, p, pt.c, out)), pt.p, grad, sens);
          }
          // One past the last case is an error, not a silent zero.
          expect(() => mod[gradName](cases, pt.p, pt.c, new Array<number>(ns))).toThrow(RangeError);
        }
      });
    });

    extra?.(() => m);
  });
}

describe('model derivatives vs finite differences', () => {
  const examples = exampleModels();
  it('finds the example models', () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(['examples/pk/pk.nlm', 'examples/tgfb/tgfb.nlm', 'examples/theophylline/theophylline.nlm']));
  });
  examples.forEach((e, k) => describeModel(e.name, e.source, 1000 + k));

  describeModel('stress model (inline)', STRESS_MODEL, 77, (get) => {
    it('reaches the paths it was written for', () => {
      const { mod, points, sens } = get();
      const pt = points[0]!;
      const { np, ns } = mod.dims;
      expect(mod.dims).toMatchObject({ ninputs: 3, ndoses: 4, nbreakpoints: 1, nout: 4 });
      const col = (name: string): number => sens.indexOf(mod.names.parameters.indexOf(name));
      const par = (name: string): number => mod.names.parameters.indexOf(name);
      const grad = (fn: 'inputLagDp' | 'inputBioavailabilityDp' | 'inputDurationDp' | 'inputRateDp' | 'doseTimeDp' | 'doseAmountDp' | 'doseDurationDp', i: number): number[] =>
        evaluate(fn, ns, (out) => mod[fn](i, pt.p, pt.c, out));
      expect(grad('inputLagDp', 0)[col('tlag')]).toBe(1);
      expect(grad('inputBioavailabilityDp', 0)[col('F1')]).toBe(1);
      expect(grad('inputDurationDp', 1)[col('Tinf')]).toBe(1);
      expect(grad('inputRateDp', 2)[col('R')]).not.toBe(0);
      expect(grad('doseTimeDp', 1)[col('tdose')]).toBe(1);
      expect(grad('doseTimeDp', 2)[col('tdose')]).toBe(2);
      expect(grad('doseTimeDp', 2)[col('tlag')]).toBe(1);
      expect(grad('doseAmountDp', 3)[col('F1')]).toBe(10);
      expect(grad('doseDurationDp', 3)[col('Tinf')]).toBe(0.5);
      const bp = evaluate('breakpointsDp', ns, (out) => mod.breakpointsDp(pt.p, pt.c, out));
      expect(bp[col('tsw')]).toBe(1);
      // A covariate effect that reads another parameter makes ∂CL/∂phi_bWT = CL · log(WT / 70) off the diagonal.
      const dphi = evaluate('individualDphi', np * np, (out) => mod.individualDphi(pt.phi, pt.eta, pt.c, out));
      const p = evaluate('individual', np, (out) => mod.individual(pt.phi, pt.eta, pt.c, out));
      expect(dphi[par('CL') * np + par('bWT')]).toBeCloseTo(p[par('CL')]! * Math.log(pt.c[0]! / 70), 12);
      // The mlp weights are sensitivity parameters and reach the RHS.
      expect(mod.names.sensitivityParameters.filter((n) => n.startsWith('mlp1_'))).toHaveLength(13);
      expect(mod.names.sensitivityParameters).not.toContain('kout');
    });

    it('the finite-difference check rejects a derivative that is off by 1e-5 (relative)', () => {
      const { mod, points, sens } = get();
      const pt = points[0]!;
      const { nx, ns } = mod.dims;
      const t = pt.t[1]!;
      const dp = evaluate('rhsDp', nx * ns, (out) => mod.rhsDp(t, pt.x, pt.p, pt.c, out));
      const value = (p: readonly number[]): number[] => evaluate('rhs', nx, (out) => mod.rhs(t, pt.x, p, pt.c, out));
      checkJacobian('rhsDp', value, pt.p, dp, sens);
      const k = dp.findIndex((v) => Math.abs(v) > 1e-3);
      const wrong = [...dp];
      wrong[k] = dp[k]! * (1 + 1e-5);
      expect(() => checkJacobian('rhsDp (tampered)', value, pt.p, wrong, sens)).toThrow();
    });

    it('second derivatives of the parameter map (bounded transforms, covariate effects) match differences', () => {
      const { ir, result } = get();
      const D = result.derivatives!.differentiator;
      const pt = get().points[1]!;
      const np = ir.parameters.length;
      const neta = ir.randomEffects.length;
      for (let k = 0; k < np; k++) {
        const first = range(np).map((j) => D.d(ir.individual[k]!, 'phi', j));
        const second = range(np).flatMap((j) => range(np).map((l) => D.d(first[j]!, 'phi', l)));
        checkJacobian(`∂²p${k}/∂phi²`, (phi) => interpret(ir, first, { phi, eta: pt.eta, c: pt.c }), pt.phi, interpret(ir, second, { phi: pt.phi, eta: pt.eta, c: pt.c }), range(np));
        const firstEta = range(neta).map((j) => D.d(ir.individual[k]!, 'eta', j));
        const mixed = range(neta).flatMap((j) => range(np).map((l) => D.d(firstEta[j]!, 'phi', l)));
        checkJacobian(`∂²p${k}/∂eta∂phi`, (phi) => interpret(ir, firstEta, { phi, eta: pt.eta, c: pt.c }), pt.phi, interpret(ir, mixed, { phi: pt.phi, eta: pt.eta, c: pt.c }), range(np));
      }
    });
  });
});

describe('second derivatives on tgfb', () => {
  let ir: ModelIR;
  let D: Differentiator;
  let pt: Point;
  beforeAll(async () => {
    const m = await compileAndLoad(readFileSync(join(root, 'examples/tgfb/tgfb.nlm'), 'utf8'), 4242);
    ir = m.ir;
    D = m.result.derivatives!.differentiator;
    pt = m.points[0]!;
  });

  it('∂²f/∂x∂p matches differences of ∂f/∂x, for every parameter', () => {
    const nx = ir.states.length;
    const np = ir.parameters.length;
    for (const t of [20, 52.5, 131]) {
      for (let s = 0; s < nx; s++) {
        const first = range(nx).map((j) => D.d(ir.rhs[s]!, 'x', j));
        const second = first.flatMap((d1) => range(np).map((k) => D.d(d1, 'p', k)));
        const at = { t, x: pt.x, p: pt.p, c: pt.c };
        checkJacobian(`∂²f${s}/∂x∂p, t = ${t}`, (p) => interpret(ir, first, { ...at, p }), pt.p, interpret(ir, second, at), range(np));
      }
    }
  });

  it('∂²f/∂x² matches differences of ∂f/∂x and is symmetric', () => {
    const nx = ir.states.length;
    const at = { t: 90.5, x: pt.x, p: pt.p, c: pt.c };
    for (let s = 0; s < nx; s++) {
      const first = range(nx).map((j) => D.d(ir.rhs[s]!, 'x', j));
      const second = first.flatMap((d1) => range(nx).map((l) => D.d(d1, 'x', l)));
      const hessian = interpret(ir, second, at);
      checkJacobian(`∂²f${s}/∂x²`, (x) => interpret(ir, first, { ...at, x }), pt.x, hessian, range(nx));
      for (let i = 0; i < nx; i++) for (let j = 0; j < i; j++) expect(hessian[i * nx + j]).toBeCloseTo(hessian[j * nx + i]!, 12);
    }
  });

  it('∂²h/∂x² matches differences of ∂h/∂x (h = log10(a))', () => {
    const nx = ir.states.length;
    const h = ir.outputs[0]!.prediction;
    const first = range(nx).map((j) => D.d(h, 'x', j));
    const second = first.flatMap((d1) => range(nx).map((l) => D.d(d1, 'x', l)));
    const at = { t: 60, x: pt.x, p: pt.p, c: pt.c };
    const hessian = interpret(ir, second, at);
    checkJacobian('∂²h/∂x²', (x) => interpret(ir, first, { ...at, x }), pt.x, hessian, range(nx));
    const a = ir.states.findIndex((st) => st.name === 'a');
    expect(hessian[a * nx + a]).toBeCloseTo(-1 / (pt.x[a]! ** 2 * Math.LN10), 10);
  });

  it('the interpreter agrees with the emitted module on first derivatives', async () => {
    const m = await compileAndLoad(readFileSync(join(root, 'examples/tgfb/tgfb.nlm'), 'utf8'), 4242);
    const nx = ir.states.length;
    const t = 52.5;
    const emitted = evaluate('rhsDx', nx * nx, (out) => m.mod.rhsDx(t, pt.x, pt.p, pt.c, out));
    const viaIr = interpret(m.ir, m.result.derivatives!.dfdx.flat(), { t, x: pt.x, p: pt.p, c: pt.c });
    for (let i = 0; i < nx * nx; i++) expect(Math.abs(emitted[i]! - viaIr[i]!)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(viaIr[i]!)));
  });
});
