/**
 * Simulate → fit with inter-occasion variability (#13's acceptance "IOV with 3 occasions: ω_iov recovered within
 * 2 SE"): 50 subjects, an IV bolus of 100 at the start of each of three occasions (t = 0, 24, 48), 6 samples per
 * occasion, CLᵢₖ = CL·exp(ηᵢ + κᵢₖ). The data come from this test's own exact solution (exponential decay
 * between doses at each occasion's clearance, the amount carried over) with proportional noise, not from nlmc.
 * `nlmc fit` (CPU back end) starts away from the truth; its maximum-likelihood estimates (AGQ over the four
 * random effects ηᵢ, κᵢ₁, κᵢ₂, κᵢ₃) must lie within 2 SE of the truth for ω_iov, and within 3 SE for the rest.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { mulberry32, standardNormal } from '../support/seeded-random.js';

const model = (CL: number, V: number, omega: number, iov: number, b: number): string => `model iovfit
covariates { OCC occasions(3) }
parameters {
  CL = ${CL} lognormal(omega = ${omega}) iov(omega = ${iov})
  V = ${V} lognormal
}
states { central }
dosing { input iv -> central }
ode { d/dt central = -CL / V * central }
observe { conc ~ normal(central / V, sd = proportional(b)) }
error { b = ${b} }
`;

const truth = { CL: 3, V: 30, omega_CL: 0.3, omega_iov_CL: 0.25, b: 0.1 };
const sampleTimes = [0.5, 2, 4, 8, 12, 20];

function simulatedCsv(): string {
  const u = mulberry32(1313);
  const lines = ['ID,TIME,DV,AMT,EVID,CMT,OCC'];
  for (let i = 1; i <= 50; i++) {
    const eta = truth.omega_CL * standardNormal(u);
    let amount = 0;
    for (let occasion = 1; occasion <= 3; occasion++) {
      const start = 24 * (occasion - 1);
      const k = (truth.CL * Math.exp(eta + truth.omega_iov_CL * standardNormal(u))) / truth.V;
      amount += 100;
      lines.push(`${i},${start},.,100,1,1,${occasion}`);
      for (const s of sampleTimes) {
        const c = (amount * Math.exp(-k * s)) / truth.V;
        lines.push(`${i},${start + s},${(c * (1 + truth.b * standardNormal(u))).toPrecision(6)},.,0,.,${occasion}`);
      }
      amount *= Math.exp(-k * 24);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('simulate → fit with inter-occasion variability (3 occasions)', () => {
  it('recovers ω_iov within 2 SE, and CL, V, ω_CL, b within 3 SE, from a start away from them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-iov-'));
    writeFileSync(join(dir, 'iov.nlm'), model(4, 20, 0.5, 0.1, 0.2));
    writeFileSync(join(dir, 'data.csv'), simulatedCsv());
    const r = await runCli(['fit', join(dir, 'iov.nlm'), '--data', join(dir, 'data.csv'), '--out', join(dir, 'out'), '--quiet', '--seed', '1', '--backend', 'cpu', '--epochs', '200']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status, r.stderr).toBe(0);
    const estimates = JSON.parse(readFileSync(join(dir, 'out', 'estimates.json'), 'utf8')) as { estimates: { name: string; estimate: number; se: number | null }[] };
    const row = Object.fromEntries(estimates.estimates.map((x) => [x.name, x]));
    expect(Object.keys(row)).toEqual(['CL', 'V', 'omega_CL', 'omega_iov_CL', 'b']);
    const within = (name: keyof typeof truth, ses: number): void => {
      const { estimate, se } = row[name]!;
      expect(se, `${name} has a standard error`).toBeGreaterThan(0);
      expect(Math.abs(estimate - truth[name]) / se!, `${name}: ${estimate} ± ${se} vs truth ${truth[name]}`).toBeLessThan(ses);
    };
    within('omega_iov_CL', 2);
    for (const name of ['CL', 'V', 'omega_CL', 'b'] as const) within(name, 3);
  }, 600_000);
});
