/**
 * The VPC with censored rows, strata and time after dose, on synthetic values with known answers: y = f(t) + σε
 * with f and σ known, every value below LLOQ reported as censored. Oracles: the closed-form fraction below the
 * limit Φ((LLOQ − f)/σ) (Φ by the test's own Simpson quadrature of the density), the type-7 quantiles of the
 * uncensored values (censoring changes no order statistic above the limit), and hand-computed times after dose.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { obsField, subjectCounts } from '../../runtime/engine/engine-data.js';
import { fitContext } from '../../runtime/infer/fit-context.js';
import type { ObservationPrediction } from '../../runtime/infer/posterior.js';
import { timeAfterDose, vpcDesign } from '../../runtime/evaluate/vpc-design.js';
import { vpc, type VpcRow } from '../../runtime/evaluate/vpc.js';
import { generator } from './generator.js';

/** Φ(x) by composite Simpson on [−10, x] (2000 intervals): independent of nlmc's normal CDF. */
function phi(x: number): number {
  const a = -10;
  if (x <= a) return 0;
  const n = 2000;
  const h = (x - a) / n;
  const pdf = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  let s = pdf(a) + pdf(x);
  for (let k = 1; k < n; k++) s += (k % 2 === 1 ? 4 : 2) * pdf(a + k * h);
  return (s * h) / 3;
}

/** Type-7 quantile (R's default), written here. */
function quantile7(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

const f = (t: number) => 10 * Math.exp(-0.25 * t);
const sigma = 0.8;
const LLOQ = 1;

/** n observations at times spread over [0, 16], K replicates, all from the model; censored below LLOQ. */
function design(seed: number, n: number, K: number, stratumOf?: (j: number) => number, fOf = (_j: number, t: number) => f(t)) {
  const g = generator(seed);
  const time = Array.from({ length: n }, (_, j) => (16 * (j + 0.5)) / n);
  const raw = time.map((t, j) => fOf(j, t) + sigma * g.normal());
  const sims = new Float64Array(K * n);
  for (let k = 0; k < K; k++) time.forEach((t, j) => (sims[k * n + j] = fOf(j, t) + sigma * g.normal()));
  return {
    raw,
    input: {
      time, dv: raw.map((y) => Math.max(y, LLOQ)), pred: time.map((t, j) => fOf(j, t)), samples: K, simulated: (k: number, j: number) => sims[k * n + j]!, additive: false,
      censored: raw.map((y) => (y < LLOQ ? 1 : 0)), lloq: time.map(() => LLOQ), ...(stratumOf ? { stratum: time.map((_, j) => stratumOf(j)) } : {}),
    },
  };
}

const members = (r: VpcRow, time: readonly number[], stratum?: (j: number) => number) => time.map((t, j) => j).filter((j) => time[j]! >= r.timeLower && time[j]! <= r.timeUpper && (!stratum || stratum(j) === r.stratum));

describe('VPC with censored observations', () => {
  it('the simulated fraction below the limit per bin equals the closed form mean of Φ((LLOQ − f)/σ) over the bin', () => {
    const { input } = design(3, 600, 400);
    const rows = vpc(input, { bins: 8 });
    const blq = rows.filter((r) => r.kind === 'blq');
    expect(blq).toHaveLength(8);
    for (const r of blq) {
      const m = members(r, input.time);
      expect(m).toHaveLength(r.count);
      const expected = m.reduce((s, j) => s + phi((LLOQ - f(input.time[j]!)) / sigma), 0) / m.length;
      // The median of K = 400 binomial fractions of 75 rows: its MC error is about 0.003; 0.03 also covers the
      // median of a discrete fraction lying up to half a step (1/75) off the mean.
      expect(Math.abs(r.simMedian - expected)).toBeLessThan(0.03);
      // The observed fraction is the share of censored rows in the bin.
      expect(r.observed).toBeCloseTo(m.filter((j) => input.censored[j] === 1).length / m.length, 12);
      // Its 90 % interval is about ±1.645 binomial SE wide.
      const se = Math.sqrt((expected * (1 - expected)) / m.length);
      if (expected > 0.05 && expected < 0.95) expect((r.simUpper - r.simLower) / (2 * 1.645 * se)).toBeGreaterThan(0.6);
    }
    // Late bins are mostly censored, early ones not at all.
    expect(blq[0]!.simMedian).toBeLessThan(0.01);
    expect(blq[7]!.simMedian).toBeGreaterThan(0.5);
  });

  it('observed percentiles: the uncensored data’s quantile where it lies above the limit, undefined (NaN) below it', () => {
    const { input, raw } = design(4, 600, 200);
    const rows = vpc(input, { bins: 8 }).filter((r) => r.kind === 'vpc');
    let undefinedCount = 0;
    for (const r of rows) {
      const q = quantile7(members(r, input.time).map((j) => raw[j]!), r.percentile);
      // The type-7 quantile interpolates between two order statistics: defined when both are above the limit.
      const m = members(r, input.time).map((j) => raw[j]!).sort((a, b) => a - b);
      const lo = m[Math.floor((m.length - 1) * r.percentile)]!;
      if (lo >= LLOQ) expect(r.observed).toBeCloseTo(q, 10);
      else {
        undefinedCount++;
        expect(Number.isNaN(r.observed)).toBe(true);
      }
    }
    expect(undefinedCount).toBeGreaterThan(2);
  });

  it('a correctly specified model: observed percentiles and BLQ fractions inside their 90 % intervals in about 90 % of cases', () => {
    let inside = 0;
    let total = 0;
    for (let rep = 0; rep < 4; rep++) {
      const { input } = design(10 + rep, 500, 300);
      for (const r of vpc(input, { bins: 8 })) {
        if (r.kind === 'blq' && r.simUpper === 0) continue; // no censoring possible in the bin: nothing to check
        total++;
        if (r.inside) inside++;
      }
    }
    expect(total).toBeGreaterThan(200);
    expect(inside / total).toBeGreaterThan(0.8);
    expect(inside / total).toBeLessThan(0.98);
  });

  it('a misspecified residual error (σ half the truth in the simulations) falls outside far more often', () => {
    const g = generator(21);
    const n = 500;
    const K = 300;
    const { input } = design(21, n, K);
    const sims = new Float64Array(K * n);
    for (let k = 0; k < K; k++) input.time.forEach((t, j) => (sims[k * n + j] = f(t) + 0.5 * sigma * g.normal()));
    const rows = vpc({ ...input, simulated: (k, j) => sims[k * n + j]! }, { bins: 8 }).filter((r) => r.kind === 'vpc' && r.percentile !== 0.5 && Number.isFinite(r.observed));
    expect(rows.filter((r) => !r.inside).length / rows.length).toBeGreaterThan(0.5);
  });
});

describe('VPC strata and time after dose', () => {
  it('each stratum is binned on its own and its percentiles are its own data’s', () => {
    // Stratum 1 has 3× the concentrations: pooled percentiles would mix the two.
    const stratum = (j: number) => j % 2;
    const { input, raw } = design(7, 800, 100, stratum, (j, t) => (j % 2 === 1 ? 3 : 1) * f(t));
    const rows = vpc(input, { bins: 5 });
    expect(new Set(rows.map((r) => r.stratum))).toEqual(new Set([0, 1]));
    for (const r of rows.filter((x) => x.kind === 'vpc' && x.percentile === 0.5 && Number.isFinite(x.observed))) {
      const m = members(r, input.time, stratum);
      expect(m).toHaveLength(r.count);
      expect(r.observed).toBeCloseTo(quantile7(m.map((j) => raw[j]!), 0.5), 10);
    }
    expect(rows.filter((r) => r.kind === 'vpc')).toHaveLength(2 * 5 * 3);
  });

  it('time after dose: since the last dose at or before the observation; since time 0 before any dose', () => {
    const doses = [0, 12, 24];
    expect(timeAfterDose(doses, 1)).toBe(1);
    expect(timeAfterDose(doses, 12)).toBe(0);
    expect(timeAfterDose(doses, 13.5)).toBe(1.5);
    expect(timeAfterDose(doses, 30)).toBe(6);
    expect(timeAfterDose([5], 2)).toBe(2);
  });

  it('the design from a dataset: time after each subject’s last dose, each row’s limit, strata of a covariate', async () => {
    const source = `model design

covariates {
  WT "kg"
}

parameters {
  CL = 3 lognormal(omega = 0.3)
  V = 20
}

states {
  central
}

dosing {
  input bolus -> central
}

ode {
  d/dt central = -CL / V * central
}

observe {
  conc ~ normal(central / V, sd = 0.1) censored(left)
}
`;
    // ID 1: doses at 0 and 12, a censored row at 0.5 (its own limit); ID 2: one dose at 2, no censored row (the
    // output's most frequent limit applies); ID 3: two censored rows at 0.2 (the lowest of its own is 0.2).
    const csv = [
      'ID,TIME,DV,AMT,EVID,MDV,CMT,CENS,WT',
      '1,0,.,100,1,1,1,0,60', '1,4,2,0,0,0,1,0,60', '1,12,.,100,1,1,1,0,60', '1,13,3,0,0,0,1,0,60', '1,20,0.5,0,0,0,1,1,60',
      '2,2,.,100,1,1,1,0,80', '2,3,4,0,0,0,1,0,80', '2,6,1,0,0,0,1,0,80',
      '3,0,.,100,1,1,1,0,80', '3,8,0.2,0,0,0,1,1,80', '3,9,0.2,0,0,0,1,1,80', '3,10,1,0,0,0,1,0,80',
    ].join('\n');
    const compiled = compile(source);
    const read = readDataset(`${csv}\n`, 'design.csv', requirementsFromIr(compiled.ir!));
    const ctx = await fitContext(compiled, read.dataset!);
    const predictions: ObservationPrediction[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < subjectCounts(ctx.data, i).observations; j++) {
        predictions.push({ subject: i, time: obsField(ctx.data, i, j, 'time'), output: 0, dv: obsField(ctx.data, i, j, 'value'), pred: 1, ipred: 1, iwres: 0 });
      }
    }
    const d = vpcDesign(ctx, predictions, 'tad', 'WT');
    expect(d.rows.map((r) => r.x)).toEqual([4, 1, 8, 1, 4, 8, 9, 10]);
    expect(d.rows.map((r) => r.censored)).toEqual([0, 0, 1, 0, 0, 1, 1, 0]);
    // 0.2 is the most frequent limit (two rows), so ID 2 gets it; IDs 1 and 3 their own.
    expect(d.rows.map((r) => r.lloq)).toEqual([0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(d.strata).toEqual(['WT = 60', 'WT = 80']);
    expect(d.rows.map((r) => r.stratum)).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
    expect(vpcDesign(ctx, predictions, 'time', undefined).rows.map((r) => r.x)).toEqual([4, 13, 20, 3, 6, 8, 9, 10]);
  });
});

describe('VPC with every censoring code the data reader accepts', () => {
  const ULOQ = 6;
  /** n observations over [0, 16], K replicates; censored above ULOQ (CENS = −1). */
  function above(seed: number, n: number, K: number) {
    const g = generator(seed);
    const time = Array.from({ length: n }, (_, j) => (16 * (j + 0.5)) / n);
    const raw = time.map((t) => f(t) + sigma * g.normal());
    const sims = new Float64Array(K * n);
    for (let k = 0; k < K; k++) time.forEach((t, j) => (sims[k * n + j] = f(t) + sigma * g.normal()));
    return {
      raw,
      input: {
        time, dv: raw.map((y) => Math.min(y, ULOQ)), pred: time.map(f), samples: K, simulated: (k: number, j: number) => sims[k * n + j]!, additive: false,
        censored: raw.map((y) => (y > ULOQ ? -1 : 0)), uloq: time.map(() => ULOQ),
      },
    };
  }

  it('above a limit: the simulated fraction above it per bin is the closed form mean of 1 − Φ((ULOQ − f)/σ), the observed one the share of CENS = −1 rows', () => {
    const { input } = above(31, 600, 400);
    const rows = vpc(input, { bins: 8 });
    expect(rows.filter((r) => r.kind === 'blq')).toHaveLength(0);
    const alq = rows.filter((r) => r.kind === 'alq');
    expect(alq).toHaveLength(8);
    for (const r of alq) {
      const m = members(r, input.time);
      const expected = m.reduce((s, j) => s + 1 - phi((ULOQ - f(input.time[j]!)) / sigma), 0) / m.length;
      expect(Math.abs(r.simMedian - expected)).toBeLessThan(0.03);
      expect(r.observed).toBeCloseTo(m.filter((j) => input.censored[j] === -1).length / m.length, 12);
    }
    // Early bins (f up to 10) are mostly above the limit, late ones never.
    expect(alq[0]!.simMedian).toBeGreaterThan(0.5);
    expect(alq[7]!.simMedian).toBeLessThan(0.01);
  });

  it('above a limit: observed percentiles are the data’s where they lie below the limit, undefined above it; ≈ 90 % coverage', () => {
    const { input, raw } = above(32, 600, 300);
    const rows = vpc(input, { bins: 8 });
    let undefinedCount = 0;
    for (const r of rows.filter((x) => x.kind === 'vpc')) {
      const m = members(r, input.time).map((j) => raw[j]!).sort((a, b) => a - b);
      const h = (m.length - 1) * r.percentile;
      const hi = m[Math.min(m.length - 1, Math.floor(h) + 1)]!;
      if (hi <= ULOQ) expect(r.observed).toBeCloseTo(quantile7(m, r.percentile), 10);
      else if (m[Math.floor(h)]! > ULOQ || h !== Math.floor(h)) {
        undefinedCount++;
        expect(Number.isNaN(r.observed)).toBe(true);
      }
    }
    expect(undefinedCount).toBeGreaterThan(2);
    const checked = rows.filter((r) => !(r.kind === 'alq' && r.simUpper === 0 && r.simLower === 0));
    const share = checked.filter((r) => r.inside).length / checked.length;
    expect(share).toBeGreaterThan(0.75);
  });

  it('the design reads CENS = 1, −1 and each with a LIMIT (intervals) by the side of DV they lie on, with per-side limits', async () => {
    const source = `model sides

parameters {
  CL = 3 lognormal(omega = 0.3)
  V = 20
}

states {
  central
}

dosing {
  input bolus -> central
}

ode {
  d/dt central = -CL / V * central
}

observe {
  conc ~ normal(central / V, sd = 0.1) censored(interval)
}
`;
    // ID 1: below 0.5 (CENS 1), above 8 (CENS −1); ID 2: in (0, 0.4) (CENS 1, LIMIT 0), in (9, 20) (CENS −1, LIMIT 20),
    // one observed row; ID 3: observed rows only (the most frequent limits apply).
    const csv = [
      'ID,TIME,DV,AMT,EVID,MDV,CMT,CENS,LIMIT',
      '1,0,.,100,1,1,1,0,.', '1,1,8,0,0,0,1,-1,.', '1,4,2,0,0,0,1,0,.', '1,20,0.5,0,0,0,1,1,.',
      '2,0,.,100,1,1,1,0,.', '2,1,9,0,0,0,1,-1,20', '2,3,4,0,0,0,1,0,.', '2,24,0.4,0,0,0,1,1,0',
      '3,0,.,100,1,1,1,0,.', '3,2,3,0,0,0,1,0,.', '3,5,1,0,0,0,1,0,.',
    ].join('\n');
    const compiled = compile(source);
    const read = readDataset(`${csv}\n`, 'sides.csv', requirementsFromIr(compiled.ir!));
    expect(read.dataset).toBeDefined();
    const ctx = await fitContext(compiled, read.dataset!);
    // The reader's term codes: below, above, between, between.
    const codes = [0, 1, 2].flatMap((i) => Array.from({ length: subjectCounts(ctx.data, i).observations }, (_, j) => ctx.data.obsCensoring[i * ctx.data.maxObs + j]!));
    expect(codes).toEqual([2, 0, 1, 3, 0, 3, 0, 0]);
    const predictions: ObservationPrediction[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < subjectCounts(ctx.data, i).observations; j++) {
        predictions.push({ subject: i, time: obsField(ctx.data, i, j, 'time'), output: 0, dv: obsField(ctx.data, i, j, 'value'), pred: 1, ipred: 1, iwres: 0 });
      }
    }
    const d = vpcDesign(ctx, predictions, 'time', undefined);
    expect(d.rows).toHaveLength(8);
    expect(d.rows.map((r) => r.censored)).toEqual([-1, 0, 1, -1, 0, 1, 0, 0]);
    // Lower limits: own (0.5; 0.4), ID 3 the most frequent (a tie: the first seen, 0.5). Upper: own (8; 9), ID 3: 8.
    expect(d.rows.map((r) => r.lloq)).toEqual([0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.5, 0.5]);
    expect(d.rows.map((r) => r.uloq)).toEqual([8, 8, 8, 9, 9, 9, 8, 8]);
    expect(d.notes).toEqual([]);
  });
});
