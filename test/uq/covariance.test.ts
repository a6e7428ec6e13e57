/**
 * From information to standard errors, and the messages for an information that cannot be inverted: they name
 * the parameters of the direction the data do not determine, and the tables carry no NaN.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { initialVector, populationLayout } from '../../runtime/infer/population.js';
import { estimateRows, estimatesCsv } from '../../runtime/report/estimates.js';
import { Z975 } from '../../stdlib/normal-quantiles.js';
import { covarianceFromInformation } from '../../runtime/uq/covariance.js';

const names = ['theta1', 'theta2', 'omega_theta1', 'sigma'];

describe('covarianceFromInformation', () => {
  it('inverts a positive-definite information: SEs, correlations, condition', () => {
    const info = Float64Array.from([4, 2, 0, 0, 2, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 16]);
    const r = covarianceFromInformation(info, names);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // [[4, 2], [2, 4]]⁻¹ = [[1/3, −1/6], [−1/6, 1/3]].
    expect(r.covariance[0]).toBeCloseTo(1 / 3, 14);
    expect(r.covariance[1]).toBeCloseTo(-1 / 6, 14);
    expect(r.se[0]).toBeCloseTo(Math.sqrt(1 / 3), 14);
    expect(r.se[3]).toBeCloseTo(0.25, 14);
    expect(r.correlation[1]).toBeCloseTo(-0.5, 14);
    expect(r.correlation[0]).toBeCloseTo(1, 14);
    expect(r.condition).toBeCloseTo(16, 10);
  });

  it('a singular information names the non-identifiable parameters (the null direction)', () => {
    // theta1 and omega_theta1 enter only through their sum: the information is flat along (1, 0, −1, 0)/√2.
    const info = Float64Array.from([5, 1, 5, 0, 1, 3, 1, 0, 5, 1, 5, 0, 0, 0, 0, 9]);
    const r = covarianceFromInformation(info, names);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^the observed information is singular \(smallest eigenvalue .*, largest 10\.3\): theta1 and omega_theta1 are not identifiable from these data — the likelihood is flat along 0\.71·theta1 − 0\.71·omega_theta1; no standard errors for them; standard errors are given for .*, which take no part in that direction$/);
    expect(r.direction.map((d) => d.name).sort()).toEqual(['omega_theta1', 'theta1']);
    // The other two are estimable: in coordinates (s = theta1 + omega_theta1, x1, x3) the information is
    // [[5, 1, 0], [1, 3, 0], [0, 0, 9]], so Var(x1) = 5/14 and Var(x3) = 1/9.
    expect(r.partialSe).toBeDefined();
    expect(Number.isNaN(r.partialSe![0]!) && Number.isNaN(r.partialSe![2]!)).toBe(true);
    expect(r.partialSe![1]).toBeCloseTo(Math.sqrt(5 / 14), 10);
    expect(r.partialSe![3]).toBeCloseTo(1 / 3, 10);
  });

  it('an indefinite information says the fit is not at a maximum, along which parameters', () => {
    const info = Float64Array.from([4, 0, 0, 0, 0, -0.5, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
    const r = covarianceFromInformation(info, names);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain('not positive definite (smallest eigenvalue -0.500, largest 4.00)');
    expect(r.message).toContain('along 1.00·theta2 — theta2 is not determined by these data, or the fit has not converged');
  });

  it('a non-finite information gives a message, not an exception', () => {
    const r = covarianceFromInformation(Float64Array.from([1, 0, 0, NaN]), ['a', 'b']);
    expect(r.ok).toBe(false);
  });
});

describe('estimates table with uncertainty', () => {
  const compiled = compile(readFileSync(new URL('../../examples/pk/pk.nlm', import.meta.url), 'utf8'));
  const ir = compiled.ir!;
  const layout = populationLayout(ir);
  const v = initialVector(layout);

  it('natural-scale SE by the delta method, RSE in percent, CI transformed back from the estimation scale', () => {
    const se = [0.1, 0.02, 0.2, 0.05];
    const rows = estimateRows(ir, layout, v, se);
    const theta1 = rows.find((r) => r.name === 'theta1')!;
    expect(theta1.seTransformed).toBe(0.1);
    expect(theta1.se).toBeCloseTo(0.5 * 0.1, 14);
    expect(theta1.rse).toBeCloseTo(10, 12);
    expect(theta1.ciLower).toBeCloseTo(0.5 * Math.exp(-Z975 * 0.1), 14);
    expect(theta1.ciUpper).toBeCloseTo(0.5 * Math.exp(Z975 * 0.1), 14);
    const omega = rows.find((r) => r.name === 'omega_theta1')!;
    expect(omega.se).toBeCloseTo(0.5 * 0.2, 14);
    expect(omega.ciLower).toBeCloseTo(0.5 * Math.exp(-Z975 * 0.2), 14);
    const csv = estimatesCsv(rows).split('\n');
    expect(csv[0]).toBe('parameter,kind,estimate,estimation_scale,estimate_on_scale,fixed,initial,se,rse,ci_lower,ci_upper,se_on_scale');
    expect(csv[1]).toBe('theta1,parameter,0.5,log,-0.6931471806,no,0.5,0.05,10,0.4110075976,0.608261262,0.1');
  });

  it('without uncertainty, or with a non-finite SE, the columns are empty / null — never NaN', () => {
    for (const se of [undefined, [NaN, Infinity, 0.1, NaN]]) {
      const rows = estimateRows(ir, layout, v, se);
      const csv = estimatesCsv(rows);
      expect(csv).not.toMatch(/NaN|Infinity/);
      expect(JSON.stringify(rows)).not.toMatch(/NaN|Infinity/);
      expect(rows.find((r) => r.name === 'theta1')!.se).toBeNull();
    }
    expect(estimatesCsv(estimateRows(ir, layout, v)).split('\n')[1]).toBe('theta1,parameter,0.5,log,-0.6931471806,no,0.5,,,,,');
  });
});

describe('flat directions under Monte-Carlo noise', () => {
  it('a curvature within 3 Monte-Carlo errors of zero counts as singular', () => {
    const info = Float64Array.from([5, 4.99, 4.99, 5]);
    const err = Float64Array.from([0.01, 0.01, 0.01, 0.01]);
    expect(covarianceFromInformation(info, ['a', 'b']).ok).toBe(true);
    const r = covarianceFromInformation(info, ['a', 'b'], err);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^the observed information is singular within its Monte-Carlo error \(curvature 0\.0100 ± 0\.010 \(Monte Carlo\) along that direction, largest eigenvalue 9\.99\): a and b are not identifiable from these data — the likelihood is flat along 0\.71·a − 0\.71·b; no standard errors for them \(if that direction should be identified, raise --uq-samples\)$/);
    expect(covarianceFromInformation(info, ['a', 'b'], Float64Array.from([1e-4, 1e-4, 1e-4, 1e-4])).ok).toBe(true);
  });

  it('finds a flat direction hidden behind one very noisy entry (a product a·b of which only b has no random effect)', () => {
    // From a fit of X(0) = a·b: I_bb = 1005 ± 996 swamps the flat direction a − b, which is not the smallest eigenvector.
    const info = [208.09, 206.6, 0.64, 0.088, 206.6, 1005.2, -2.38, -18.77, 0.64, -2.38, 39.29, 0.09, 0.088, -18.77, 0.09, 103.07];
    const err = [0.077, 5.74, 0.31, 0.26, 5.74, 995.9, 3.85, 34.08, 0.31, 3.85, 0.18, 0.16, 0.26, 34.08, 0.16, 1.14];
    expect(covarianceFromInformation(Float64Array.from(info), ['a', 'b', 'omega_a', 's']).ok).toBe(true);
    const r = covarianceFromInformation(Float64Array.from(info), ['a', 'b', 'omega_a', 's'], Float64Array.from(err));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain('b and a are not identifiable from these data — the likelihood is flat along 0.70·b − 0.70·a');
  });
});

describe('imprecise but positive information', () => {
  it('between 2 and 5 Monte-Carlo errors: standard errors with a warning', () => {
    const r = covarianceFromInformation(Float64Array.from([5, 4.9, 4.9, 5]), ['a', 'b'], Float64Array.from([0.03, 0.03, 0.03, 0.03]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warning).toBe('the observed information is imprecise along 0.71·a − 0.71·b (curvature 0.100 ± 0.030 Monte Carlo): the standard errors of a and b may be off by 15 % or more; raise --uq-samples');
    const precise = covarianceFromInformation(Float64Array.from([5, 4.9, 4.9, 5]), ['a', 'b'], Float64Array.from([0.01, 0.01, 0.01, 0.01]));
    expect(precise.ok && precise.warning === undefined).toBe(true);
  });
});
