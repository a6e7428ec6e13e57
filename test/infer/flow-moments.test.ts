/**
 * posteriors()'s moments for the flow family (flowMoments in runtime/infer/posterior.ts): the mean, sd and factor of
 * η = μ + L f(ε) by fixed draws, against quadrature of the 1-D transform over N(0, 1) (skewed layers) and, at the
 * identity flow, against μ and L itself — within their Monte-Carlo error (4000 draws).
 */
import { describe, expect, it } from 'vitest';
import { flowForward, flowInitialBias } from '../../runtime/infer/flow.js';
import { flowMoments } from '../../runtime/infer/posterior.js';

describe('flow posterior moments', () => {
  it('1-D skewed layers: mean and sd vs quadrature', () => {
    const params = Float64Array.from([1.2, 0.9, 0.7, -0.5, 1.5, -0.4]);
    const mu = 0.3;
    const sigma = 0.4;
    const m = flowMoments(Float64Array.of(mu), Float64Array.of(sigma), params, 0, 1);
    let e1 = 0;
    let e2 = 0;
    const h = 1e-3;
    for (let x = -10; x <= 10; x += h) {
      const w = (Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI)) * h;
      const v = mu + sigma * flowForward([x], params, 0, 1).out[0]!;
      e1 += w * v;
      e2 += w * v * v;
    }
    const sd = Math.sqrt(e2 - e1 * e1);
    expect(Math.abs(m.mu[0]! - e1)).toBeLessThan((4 * sd) / Math.sqrt(4000));
    expect(Math.abs(m.sd[0]! - sd)).toBeLessThan((5 * sd) / Math.sqrt(4000));
    expect(m.chol![0]).toBeCloseTo(m.sd[0]!, 12);
  });

  it('identity flow in 2-D: the mean is μ and the factor is L', () => {
    const L = Float64Array.from([0.5, 0, 0.3, 0.2]);
    const m = flowMoments(Float64Array.of(1, -1), L, flowInitialBias(2), 0, 2);
    const tolerance = 4 / Math.sqrt(4000);
    expect(Math.abs(m.mu[0]! - 1)).toBeLessThan(0.5 * tolerance);
    expect(Math.abs(m.mu[1]! + 1)).toBeLessThan(0.4 * tolerance);
    [0.5, 0, 0.3, 0.2].forEach((v, k) => expect(Math.abs(m.chol![k]! - v)).toBeLessThan(0.5 * tolerance));
  });
});
