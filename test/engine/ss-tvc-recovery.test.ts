/**
 * Simulate → fit: data with a steady-state dose (SS = 1, II = 12, then ADDL repeats) and a covariate that changes
 * within each subject (WT, carried forward, in the elimination rate) are simulated in this test by its own exact
 * event-by-event solution (exponential decay between events, the steady state as the geometric series), with
 * proportional noise; `nlmc fit` (CPU back end) starts away from the truth and must recover k and V within 15 %,
 * ω_k within 40 % and the proportional error within 25 % (40 subjects × 8 observations; 200 epochs, then the
 * maximum-likelihood finish).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { mulberry32, standardNormal } from '../support/seeded-random.js';

const model = (k: number, V: number, omega: number, b: number): string => `model sstvc
covariates { WT }
parameters {
  k = ${k} lognormal(omega = ${omega})
  V = ${V} lognormal
}
states { central }
dosing { input iv -> central }
ode { d/dt central = -k * (WT / 70) * central }
observe { conc ~ normal(central / V, sd = proportional(b)) }
error { b = ${b} }
`;

const truth = { k: 0.1, V: 20, omega: 0.3, b: 0.1 };
const D = 100;
const II = 12;
const obsTimes = [1, 4, 8, 11.9, 36.5, 40, 44, 47.9];

/** Amount at each observation time: SS = 1 at 0 (the steady state for WT at 0), doses at 12, 24, 36, 48; WT from w0 to w1 at 30. */
function amounts(k: number, w0: number, w1: number): number[] {
  const rate = (t: number): number => (k * (t < 30 ? w0 : w1)) / 70;
  const decay0 = Math.exp(-rate(0) * II);
  let A = D / (1 - decay0); // just after the dose at 0: D (1 + e^{−kII} + e^{−2kII} + …)
  let t = 0;
  const events = [...[12, 24, 36, 48].map((s) => ({ t: s, dose: true })), { t: 30, dose: false }, ...obsTimes.map((s) => ({ t: s, dose: false, obs: true }))]
    .sort((a, b) => a.t - b.t || Number('obs' in b) - Number('obs' in a));
  const out: number[] = [];
  for (const e of events) {
    A *= Math.exp(-rate(t) * (e.t - t)); // rate is constant on (t, e.t]: events include the WT change
    t = e.t;
    if ('obs' in e) out.push(A);
    else if (e.dose) A += D;
  }
  return out;
}

function simulatedCsv(): string {
  const u = mulberry32(2026);
  const lines = ['ID,TIME,DV,AMT,EVID,CMT,SS,II,ADDL,WT'];
  for (let i = 1; i <= 40; i++) {
    const w0 = 50 + 40 * u();
    const w1 = w0 * (1.1 + 0.2 * u());
    const k = truth.k * Math.exp(truth.omega * standardNormal(u));
    const a = amounts(k, w0, w1);
    lines.push(`${i},0,.,${D},1,1,1,${II},4,${w0.toFixed(3)}`);
    obsTimes.forEach((t, j) => {
      if (t > 30 && !lines.some((l) => l.startsWith(`${i},30,`))) lines.push(`${i},30,.,.,2,.,.,.,.,${w1.toFixed(3)}`);
      const c = a[j]! / truth.V;
      lines.push(`${i},${t},${(c * (1 + truth.b * standardNormal(u))).toPrecision(6)},.,0,.,.,.,.,${(t < 30 ? w0 : w1).toFixed(3)}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

describe('simulate → fit with a steady-state dose and a time-varying covariate', () => {
  it('recovers k, V, ω_k and the proportional error from a start away from them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-sstvc-'));
    writeFileSync(join(dir, 'sstvc.nlm'), model(0.2, 10, 0.6, 0.3));
    writeFileSync(join(dir, 'data.csv'), simulatedCsv());
    const r = await runCli(['fit', join(dir, 'sstvc.nlm'), '--data', join(dir, 'data.csv'), '--out', join(dir, 'out'), '--quiet', '--seed', '1', '--backend', 'cpu', '--no-uncertainty', '--epochs', '200']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status, r.stderr).toBe(0);
    const estimates = JSON.parse(readFileSync(join(dir, 'out', 'estimates.json'), 'utf8')) as { estimates: { name: string; estimate: number }[] };
    const e = Object.fromEntries(estimates.estimates.map((x) => [x.name, x.estimate]));
    const within = (name: string, value: number, fraction: number): void => {
      expect(Math.abs(e[name]! - value) / value, `${name}: estimate ${e[name]} vs truth ${value}`).toBeLessThan(fraction);
    };
    within('k', truth.k, 0.15);
    within('V', truth.V, 0.15);
    within('omega_k', truth.omega, 0.4);
    within('b', truth.b, 0.25);
  }, 1_200_000);
});
