/**
 * Simulating correlated random effects: the drawn η follow the requested Ω (sample sds and correlations within
 * their sampling error, computed here from the draws), for a pair block and for a block of three with an
 * independent effect beside it; a requested block that is not a correlation matrix is refused.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { parseDesign } from '../../runtime/simulate/design.js';
import { Random } from '../../runtime/nn/random.js';
import { applyOverrides, modelValues, simulateSubjects, truePrior } from '../../runtime/simulate/simulate.js';
import { subjectsFromDesign } from '../../runtime/simulate/subjects.js';

const source = `model corr
parameters {
  CL = 3  lognormal(omega = 0.3)
  V  = 20 lognormal(omega = 0.2)
  ka = 1  lognormal(omega = 0.4)
  F  = 0.7 logitnormal(omega = 0.5)
  correlation(CL, V) = 0.6
  correlation(CL, ka) = -0.3
  correlation(V, ka) = 0.2
}
states { depot
  central }
ode {
  d/dt depot = -ka * depot
  d/dt central = ka * F * depot - CL / V * central
}
observe { y ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`;

const compiled = compile(source);
const ir = compiled.ir!;
const prepared = await prepareModel(compiled);

function sampleCorrelation(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('simulating correlated random effects', () => {
  it('the η of 3000 subjects have the block correlations, and the fourth effect is independent of them', async () => {
    const n = 3000;
    const { design } = parseDesign(JSON.stringify({ subjects: n, times: [1, 4] }), 'design.json');
    const random = new Random(4);
    const sims = await simulateSubjects(ir, prepared, subjectsFromDesign(ir, design!, random).subjects!, modelValues(ir), random);
    const eta = (r: number) => sims.map((s) => s.eta[r]!);
    // Fisher's z of a sample correlation has sd 1/√(n − 3): allow 4 of them.
    const tol = (rho: number) => (4 * (1 - rho * rho)) / Math.sqrt(n - 3);
    for (const [a, b, rho] of [[0, 1, 0.6], [0, 2, -0.3], [1, 2, 0.2], [0, 3, 0], [1, 3, 0], [2, 3, 0]] as const) {
      expect(Math.abs(sampleCorrelation(eta(a), eta(b)) - rho), `corr(η${a}, η${b})`).toBeLessThan(tol(rho));
    }
    [0.3, 0.2, 0.4, 0.5].forEach((w, r) => {
      const sd = Math.sqrt(eta(r).reduce((a, x) => a + x * x, 0) / n);
      expect(Math.abs(sd / w - 1)).toBeLessThan(4 / Math.sqrt(2 * n));
    });
  });

  it('overrides set a correlation by name; a block that is not a correlation matrix is refused', () => {
    const applied = applyOverrides(ir, modelValues(ir), { corr_CL_V: 0.9, corr_CL_ka: 0.9, corr_V_ka: -0.9 });
    expect(applied.errors).toEqual([]);
    expect(() => truePrior(ir, applied.values!)).toThrow(/not positive definite/);
    expect(applyOverrides(ir, modelValues(ir), { corr_CL_F: 0.2 }).errors[0]).toMatch(/not a parameter of the model/);
  });
});
