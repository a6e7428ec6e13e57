/**
 * The maximum-likelihood finish on the three-random-effect oral two-compartment model (lag, four doses by ADDL/II,
 * weight on CL and V1; ka and V1 correlated a posteriori), from a collapsed ω_V1 as mean-field VI leaves it:
 * the collapse guard re-inflates it and the finish reaches the maximum of the AGQ likelihood — checked by finite
 * differences of the adaptive AGQ likelihood (agq-oracle.ts). 24 subjects from the closed-form simulator
 * (fixtures/oral2cpt/simulate.mjs 24 5) and 3 nodes per effect keep it within the suite's budget; the 60-subject
 * fit with 5 nodes is bench/ml-oracle.ts's (docs/fit.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { fitContextFor } from '../../runtime/infer/fit-context.js';
import { covarianceFromInformation } from '../../runtime/uq/covariance.js';
import { maximumLikelihoodEstimate } from '../../runtime/uq/ml-estimate.js';
import { defaultMlFinishOptions } from '../../runtime/uq/ml-finish.js';
import { uqProblem } from '../../runtime/uq/uncertainty.js';
import { adaptiveDerivatives } from './agq-oracle.js';

describe('ML finish: oral two-compartment, three correlated random effects', () => {
  it('from a collapsed ω_V1 to the AGQ maximum (within 0.1 SE by the adaptive-AGQ oracle)', async () => {
    const compiled = compile(readFileSync(new URL('./fixtures/oral2cpt/oral2cpt.nlm', import.meta.url), 'utf8'));
    const read = readDataset(readFileSync(new URL('./fixtures/oral2cpt/data24.csv', import.meta.url), 'utf8'), 'data24.csv', requirementsFromIr(compiled.ir!));
    const { ctx } = await fitContextFor(compiled, read.dataset!, undefined, 'auto');
    const problem = uqProblem(ctx);
    try {
      const names = ctx.layout.entries.map((e) => e.name);
      // The ELBO optimum of the 60-subject mean-field fit (docs/fit.md): fixed effects close, ω_V1 collapsed.
      const start: Record<string, number> = { ka: 1.3, CL: 5.18, V1: 25.4, Q: 8.26, V2: 59.4, tlag: 0.5, beta_CL: 0.64, beta_V1: 1.29, omega_ka: 0.486, omega_CL: 0.31, omega_V1: 0.011, a: 0.0475, b: 0.111 };
      const v0 = Float64Array.from(ctx.layout.entries, (e) => (e.kind === 'phi' && ctx.ir.parameters[e.index]!.transform.kind === 'normal' ? start[e.name]! : Math.log(start[e.name]!)));
      // Every subject's q equal to the prior: what a collapsed mean-field fit leaves (its KL is 0).
      const neta = ctx.model.dims.neta;
      const omega = [0.486, 0.31, 0.011];
      const q = Array.from({ length: ctx.data.nSubjects }, () => ({ mu: new Float64Array(neta), sd: Float64Array.from(omega) }));
      const ml = await maximumLikelihoodEstimate(problem, v0, q, { ...defaultMlFinishOptions, nodes: 3 });
      expect(ml.collapsed.map((c) => c.name)).toEqual(['omega_V1']);
      expect(ml.result.converged, ml.result.message).toBe(true);
      const omegaV1 = Math.exp(ml.result.v[names.indexOf('omega_V1')]!);
      expect(omegaV1).toBeGreaterThan(0.08);
      const oracle = await adaptiveDerivatives(problem, ml.result.v, 3);
      const cov = covarianceFromInformation(oracle.information, names);
      expect(cov.ok, cov.ok ? '' : cov.message).toBe(true);
      if (!cov.ok) return;
      const d = names.length;
      names.forEach((name, k) => {
        let step = 0;
        for (let j = 0; j < d; j++) step += cov.covariance[k * d + j]! * oracle.score[j]!;
        expect(Math.abs(step) / cov.se[k]!, `${name}: distance to the maximum in SE`).toBeLessThan(0.1);
      });
    } finally {
      problem.engine.dispose();
    }
  }, 300_000);
});
