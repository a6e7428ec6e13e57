/**
 * The maximum-likelihood finish with Monte-Carlo points (the Laplace importance sampler, used beyond 4 random
 * effects), forced on the linear-Gaussian model where the exact MLE and its SEs are closed forms: it stops with the
 * score within its Monte-Carlo error, lands within a fraction of an SE of the exact MLE, and the adaptively resolved
 * information gives SEs within 10 %.
 */
import { describe, expect, it } from 'vitest';
import { uncertaintyAtMaximum } from '../../runtime/uq/at-maximum.js';
import { defaultMlFinishOptions, maximizeMarginal } from '../../runtime/uq/ml-finish.js';
import { exactMle } from './exact-mle.js';
import { linearProblem } from './linear-problem.js';

describe('ML finish by Laplace importance sampling (linear-Gaussian closed forms)', () => {
  it('reaches the exact MLE within its Monte-Carlo error, with resolved SEs', async () => {
    const { problem, subjects } = await linearProblem(30, 17);
    const exact = exactMle(subjects, [1, 0.3, -0.05, Math.log(0.5), Math.log(0.2), Math.log(0.3)]);
    const v0 = Float64Array.from([0.8, 0.2, -0.02, Math.log(0.3), Math.log(0.4), Math.log(0.5)]);
    const lines: string[] = [];
    const ml = await maximizeMarginal(problem, v0, subjects.map(() => [0, 0]), { ...defaultMlFinishOptions, method: 'laplace', samples: 200, seed: 5 });
    expect(ml.converged).toBe(true);
    expect(ml.at.method).toBe('laplace');
    ml.v.forEach((x, k) => expect(Math.abs(x - exact.v[k]!) / exact.se[k]!, problem.layout.entries[k]!.name).toBeLessThan(0.1));
    const u = await uncertaintyAtMaximum(problem, ml, { resolution: 0.1, seconds: 60, quadratureCheck: false, seed: 3 }, (l) => lines.push(l));
    expect(lines.some((l) => /information: weakest curvature .* \((Monte Carlo, )?[\d.]+ %\)/.test(l))).toBe(true);
    expect(u.likelihood!.estimator).toBe('laplace');
    expect(Math.abs(u.likelihood!.minus2LL + 2 * exact.logLik)).toBeLessThan(3 * u.likelihood!.mcError + 1e-3);
    const c = u.covariance!;
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    c.se.forEach((se, k) => expect(Math.abs(se / exact.se[k]! - 1), problem.layout.entries[k]!.name).toBeLessThan(0.1));
  }, 120_000);
});
