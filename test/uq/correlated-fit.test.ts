/**
 * Correlated random effects, fitted end to end (`nlmc fit`), against an oracle that shares nothing with nlmc: the
 * one-compartment model's closed-form likelihood, integrated over (η_CL, η_V) for each subject by the trapezoid
 * rule on a 41 × 41 grid over ±6 sds of the subject's whitened posterior coordinates (placed once, written here), on the
 * oracle's own parameterization (log CL, log V, log ω_CL, log ω_V, Fisher's z of ρ, log σ). The data come from an
 * independent simulator (fixtures/corr1cpt/simulate.mjs, ρ = 0.6); the model starts from no correlation.
 *
 * Checks: nlmc's estimate is at the oracle's maximum (its Newton step < 0.1 SE in every direction), nlmc's SEs are
 * within 10 % of the oracle's (inverse of its finite-difference Hessian), −2LL agrees, and the correlation is
 * recovered within 2 SE of the truth, with a Fisher-z interval that contains it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';

const root = new URL('../../', import.meta.url).pathname;
const fixture = join(root, 'test/uq/fixtures/corr1cpt');
const DOSE = 100;
const TRUE_RHO = 0.6;

interface Subject { readonly t: number[]; readonly logY: number[] }

function readSubjects(): Subject[] {
  const rows = readFileSync(join(fixture, 'data.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const byId = new Map<string, Subject>();
  for (const [id, time, dv, , evid] of rows) {
    if (evid !== '0') continue;
    const s = byId.get(id!) ?? { t: [], logY: [] };
    s.t.push(Number(time));
    s.logY.push(Math.log(Number(dv)));
    byId.set(id!, s);
  }
  return [...byId.values()];
}

/** v = (log CL, log V, log ω_CL, log ω_V, z, log σ). */
const names = ['CL', 'V', 'omega_CL', 'omega_V', 'corr_CL_V', 'sigma'];

/** The terms of log p(Y_i | η) + log N(η; 0, Ω) that depend only on v (hoisted out of the node loops). */
function constants(v: number[]) {
  const [lcl, lv, lw1, lw2, z, ls] = v as [number, number, number, number, number, number];
  const [w1, w2, rho] = [Math.exp(lw1), Math.exp(lw2), Math.tanh(z)];
  const det = w1 * w1 * w2 * w2 * (1 - rho * rho);
  return { lcl, lv, ls, s2: Math.exp(2 * ls), w1, w2, rho, det, logDet: Math.log(det) };
}

/** log p(Y_i | η) + log N(η; 0, Ω) for the closed form log C = log(D/V) − (CL/V) t, log-normal error. */
function logJointWith(s: Subject, k: ReturnType<typeof constants>, e1: number, e2: number): number {
  const k10 = Math.exp(k.lcl + e1 - k.lv - e2);
  const logC0 = Math.log(DOSE) - k.lv - e2;
  let ll = 0;
  for (let j = 0; j < s.t.length; j++) {
    const r = s.logY[j]! - (logC0 - k10 * s.t[j]!);
    ll += r * r;
  }
  ll = -s.t.length * (0.5 * Math.log(2 * Math.PI) + k.ls) - (0.5 * ll) / k.s2;
  const q = (e1 * e1 * k.w2 * k.w2 - 2 * k.rho * k.w1 * k.w2 * e1 * e2 + e2 * e2 * k.w1 * k.w1) / k.det;
  return ll - Math.log(2 * Math.PI) - 0.5 * k.logDet - 0.5 * q;
}

const logJoint = (s: Subject, v: number[], e1: number, e2: number): number => logJointWith(s, constants(v), e1, e2);

interface Grid { readonly mode: [number, number]; readonly axes: [[number, number], [number, number]] }

/** The posterior mode (Newton with difference derivatives) and the Cholesky factor of its inverse Hessian. */
function placeGrid(s: Subject, v: number[]): Grid {
  let e = [0, 0];
  const f = (a: number, b: number) => logJoint(s, v, a, b);
  const h = 1e-4;
  let H = [[0, 0], [0, 0]];
  for (let it = 0; it < 100; it++) {
    const [a, b] = e as [number, number];
    const g = [(f(a + h, b) - f(a - h, b)) / (2 * h), (f(a, b + h) - f(a, b - h)) / (2 * h)];
    const faa = (f(a + h, b) - 2 * f(a, b) + f(a - h, b)) / (h * h);
    const fbb = (f(a, b + h) - 2 * f(a, b) + f(a, b - h)) / (h * h);
    const fab = (f(a + h, b + h) - f(a + h, b - h) - f(a - h, b + h) + f(a - h, b - h)) / (4 * h * h);
    H = [[-faa, -fab], [-fab, -fbb]];
    const det = H[0]![0]! * H[1]![1]! - H[0]![1]! ** 2;
    // Newton where the Hessian is negative definite, else gradient ascent; halved until f does not decrease.
    let step = det > 0 && H[0]![0]! > 0 ? [(H[1]![1]! * g[0]! - H[0]![1]! * g[1]!) / det, (-H[0]![1]! * g[0]! + H[0]![0]! * g[1]!) / det] : [0.01 * g[0]!, 0.01 * g[1]!];
    while (f(a + step[0]!, b + step[1]!) < f(a, b) && Math.hypot(step[0]!, step[1]!) > 1e-12) step = [step[0]! / 2, step[1]! / 2];
    e = [a + step[0]!, b + step[1]!];
    if (Math.hypot(step[0]!, step[1]!) < 1e-10) break;
  }
  const det = H[0]![0]! * H[1]![1]! - H[0]![1]! ** 2;
  const C = [[H[1]![1]! / det, -H[0]![1]! / det], [-H[0]![1]! / det, H[0]![0]! / det]];
  const l11 = Math.sqrt(C[0]![0]!);
  const l21 = C[1]![0]! / l11;
  const l22 = Math.sqrt(C[1]![1]! - l21 * l21);
  return { mode: e as [number, number], axes: [[l11, 0], [l21, l22]] };
}

/** Σ_i log ∫ p(Y_i, η) dη by the trapezoid rule on ±6 posterior sds, 41 × 41 nodes, on grids fixed in advance. */
function logLik(subjects: readonly Subject[], grids: readonly Grid[], v: number[]): number {
  const n = 41;
  const half = 6;
  const du = (2 * half) / (n - 1);
  const k = constants(v);
  const values = new Float64Array(n * n);
  let total = 0;
  subjects.forEach((s, i) => {
    const { mode, axes } = grids[i]!;
    const jac = axes[0][0] * axes[1][1];
    let m = -Infinity;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      const u1 = -half + a * du;
      const u2 = -half + b * du;
      const x = logJointWith(s, k, mode[0] + axes[0][0] * u1, mode[1] + axes[1][0] * u1 + axes[1][1] * u2);
      values[a * n + b] = x;
      if (x > m) m = x;
    }
    let sum = 0;
    for (const x of values) sum += Math.exp(x - m);
    total += m + Math.log(sum * du * du * jac);
  });
  return total;
}

function invert(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const pivot = M[c]![c]!;
    for (let j = 0; j < 2 * n; j++) M[c]![j] = M[c]![j]! / pivot;
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = M[r]![c]!;
      for (let j = 0; j < 2 * n; j++) M[r]![j] = M[r]![j]! - f * M[c]![j]!;
    }
  }
  return M.map((row) => row.slice(n));
}

describe('correlated random effects: nlmc fit against a closed-form quadrature oracle', () => {
  it('corr1cpt (100 subjects, ρ = 0.6, from a zero start): the maximum, its SEs and the recovered correlation', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nlmc-corr-')), 'fit');
    const args: FitArgs = {
      model: join(fixture, 'corr1cpt.nlm'), data: join(fixture, 'data.csv'), out, backend: 'auto', seed: 1, epochs: 2000, samples: 8, learningRate: 0.05,
      validation: 0, patience: 100, resume: false, progress: 'quiet', map: {}, color: false,
    };
    const io = { stdout: () => undefined, stderr: () => undefined, isTty: false };
    expect(await runFit(args, io, () => false)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'estimates.json'), 'utf8'));
    const row = (name: string) => report.estimates.find((r: { name: string }) => r.name === name);
    const v = names.map((n) => row(n).transformed as number);
    const se = names.map((n) => row(n).seTransformed as number);
    expect(row('corr_CL_V').scale).toBe('fisher-z');

    const subjects = readSubjects();
    const grids = subjects.map((s) => placeGrid(s, v));
    const f = (x: number[]) => logLik(subjects, grids, x);
    const h = 1e-3;
    const d = v.length;
    const shift = (x: number[], k: number, by: number) => x.map((y, j) => (j === k ? y + by : y));
    const g = v.map((_, k) => (f(shift(v, k, h)) - f(shift(v, k, -h))) / (2 * h));
    const H = v.map((_, j) => v.map((__, k) => {
      const pp = f(shift(shift(v, j, h), k, h));
      const pm = f(shift(shift(v, j, h), k, -h));
      const mp = f(shift(shift(v, j, -h), k, h));
      const mm = f(shift(shift(v, j, -h), k, -h));
      return -(pp - pm - mp + mm) / (4 * h * h);
    }));
    const cov = invert(H);
    const oracleSe = cov.map((r, k) => Math.sqrt(r[k]!));
    const step = cov.map((r) => r.reduce((a, x, k) => a + x * g[k]!, 0));
    for (let k = 0; k < d; k++) {
      expect(Math.abs(step[k]!) / oracleSe[k]!, `${names[k]}: Newton step in SEs`).toBeLessThan(0.1);
      expect(Math.abs(se[k]! / oracleSe[k]! - 1), `${names[k]}: SE ${se[k]} vs the oracle's ${oracleSe[k]}`).toBeLessThan(0.1);
    }
    expect(Math.abs(-2 * f(v) - report.likelihood.minus2LL)).toBeLessThan(0.05);
    const rho = row('corr_CL_V');
    expect(Math.abs(rho.estimate - TRUE_RHO)).toBeLessThan(2 * rho.se);
    expect(rho.ciLower).toBeLessThan(TRUE_RHO);
    expect(rho.ciUpper).toBeGreaterThan(TRUE_RHO);
    expect(Math.tanh(rho.transformed - 1.959963984540054 * rho.seTransformed)).toBeCloseTo(rho.ciLower, 10);
  }, 600_000);
});
