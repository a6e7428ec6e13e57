/**
 * `mlp(..., l2 = λ)`: the checker's located errors for bad values, the penalty on the weights and not the biases,
 * and the penalized ELBO's gradient in every population entry (the weights included) against central finite
 * differences of the objective itself, on the f64 CPU back end at fixed draws. The penalty's value is checked
 * against its definition, B · λ/2 · Σ w² for a batch of B subjects, from the weights' values by name.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { packSubjects } from '../../runtime/engine/engine-data.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { evaluateElbo, type ElboBatch } from '../../runtime/infer/elbo.js';
import { initialVector, populationLayout } from '../../runtime/infer/population.js';

const model = (l2: string): string => `model pkmlp
parameters {
  theta1 = 0.5  lognormal(omega = 0.5)
  theta2 = 2.0  lognormal
}
states {
  X1(0) = 2
  X2(0) = 3
}
ode {
  d/dt X1 = theta2 * X2 - theta1 * mlp(X1, hidden = [3], activation = tanh${l2})
  d/dt X2 = -theta2 * X2
}
observe { y ~ normal(X1, sd = sigma) }
error { sigma = 0.2 }
`;

const errors = (source: string) => compile(source).diagnostics.filter((d) => d.severity === 'error');

describe('mlp l2 = λ', () => {
  it.each([['-0.1'], ['x'], ['[1]']])('l2 = %s: E230 at the value', (bad) => {
    const source = model(`, l2 = ${bad}`);
    const found = errors(source);
    expect(found.map((d) => d.code)).toContain('E230');
    const e230 = found.find((d) => d.code === 'E230')!;
    expect(e230.message).toMatch(/l2 = λ is the weight penalty .*a number ≥ 0/);
    expect(source.split('\n')[e230.range.start.line - 1]).toContain(`l2 = ${bad}`);
  });

  it('a misspelt l2 is E205 with the suggestion', () => {
    expect(errors(model(', l3 = 0.1')).map((d) => d.message).join('\n')).toMatch(/no argument 'l3'; did you mean 'l2'\?/);
  });

  it('λ on the weights, not the biases; none without l2 or with l2 = 0', () => {
    const ir = compile(model(', l2 = 0.25')).ir!;
    const neural = ir.parameters.filter((p) => p.neural);
    expect(neural).toHaveLength(3 + 3 + 3 + 1);
    for (const p of neural) expect(p.l2, p.name).toBe(/_w\d/.test(p.name) ? 0.25 : undefined);
    expect(populationLayout(compile(model('')).ir!).l2).toBeUndefined();
    expect(populationLayout(compile(model(', l2 = 0')).ir!).l2).toBeUndefined();
  });

  it('the penalized ELBO: value B·λ/2·Σw² below the unpenalized one, gradient = finite differences', async () => {
    const times = [0.2, 0.7, 2.5, 5, 10];
    const subjects = [
      { obsTimes: times, obsValues: [2.6, 3.0, 1.6, 0.5, 0.1], obsOutputs: times.map(() => 0), doses: [], covariates: [] },
      { obsTimes: times, obsValues: [2.8, 3.2, 1.8, 0.4, 0.0], obsOutputs: times.map(() => 0), doses: [], covariates: [] },
    ];
    const setup = async (l2: string) => {
      const compiled = compile(model(l2));
      const m = await prepareModel(compiled);
      const engine = createCpuEngine(m, packSubjects(subjects, 0), { rtol: 1e-11, atol: 1e-13, maxSteps: 1_000_000 });
      return { ir: compiled.ir!, model: m, engine, layout: populationLayout(compiled.ir!) };
    };
    const lambda = 0.3;
    const on = await setup(`, l2 = ${lambda}`);
    const off = await setup('');
    // Weights large enough that the network matters and the penalty is not tiny.
    const population = initialVector(on.layout).map((v, k) => v + 0.1 + 0.3 * Math.sin(k + 1));
    const batch: ElboBatch = {
      subjects: [0, 1], covariates: [new Float64Array(0), new Float64Array(0)], samples: 2,
      mu: Float64Array.from([0.2, -0.3]), logSigma: Float64Array.from([-1.2, -0.8]), eps: Float64Array.from([0.3, -1.1, 0.7, 1.4]),
    };
    const base = await evaluateElbo(on.model, on.engine, on.layout, population, batch);
    const plain = await evaluateElbo(off.model, off.engine, off.layout, population, batch);
    let sumSquares = 0;
    on.layout.entries.forEach((e, k) => {
      if (/_w\d/.test(e.name)) sumSquares += population[k]! ** 2;
    });
    expect(sumSquares).toBeGreaterThan(0.1);
    expect(plain.elbo - base.elbo).toBeCloseTo(2 * (lambda / 2) * sumSquares, 9);
    const h = 1e-5;
    for (let n = 0; n < population.length; n++) {
      const up = Float64Array.from(population);
      const down = Float64Array.from(population);
      up[n] = up[n]! + h;
      down[n] = down[n]! - h;
      const fd = ((await evaluateElbo(on.model, on.engine, on.layout, up, batch)).elbo - (await evaluateElbo(on.model, on.engine, on.layout, down, batch)).elbo) / (2 * h);
      expect(Math.abs(base.dPopulation[n]! - fd), on.layout.entries[n]!.name).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
    }
  }, 60_000);
});
