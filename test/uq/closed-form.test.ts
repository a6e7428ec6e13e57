/** The closed forms used as the oracle agree with finite differences of the closed-form log-likelihood. */
import { describe, expect, it } from 'vitest';
import { closedForm } from './gaussian-closed-form.js';

describe('linear-Gaussian closed forms', () => {
  it('the analytic Hessian matches central differences of the log-likelihood', () => {
    const subject = { t: [0, 1.1, 2.2, 3.9, 6.1], y: [1.3, 1.2, 1.9, 1.5, 1.1] };
    const v = [1, 0.3, -0.05, Math.log(0.5), Math.log(0.2), Math.log(0.3)];
    const { hessian } = closedForm(subject, v);
    const h = 1e-4;
    const f = (dv: number[]): number => closedForm(subject, v.map((x, i) => x + dv[i]!)).logLik;
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        const e = (a: number, b: number): number[] => v.map((_, k) => (k === i ? a : 0) + (k === j ? b : 0));
        const fd = (f(e(h, h)) - f(e(h, -h)) - f(e(-h, h)) + f(e(-h, -h))) / (4 * h * h);
        expect(Math.abs(hessian[i * 6 + j]! - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('the posterior moments are those of the Gaussian conditional', () => {
    const subject = { t: [0, 2], y: [1.4, 2.0] };
    const v = [1, 0.3, 0, Math.log(0.5), Math.log(0.2), Math.log(0.3)];
    const { posterior } = closedForm(subject, v);
    // Posterior precision = Ω⁻¹ + ZᵀZ/σ² with Z = [[1, 0], [1, 2]].
    const p = [1 / 0.25 + 2 / 0.09, 2 / 0.09, 2 / 0.09, 1 / 0.04 + 4 / 0.09];
    const det = p[0]! * p[3]! - p[1]! * p[2]!;
    expect(posterior.cov[0]).toBeCloseTo(p[3]! / det, 12);
    expect(posterior.cov[1]).toBeCloseTo(-p[1]! / det, 12);
  });
});
