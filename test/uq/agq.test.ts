/**
 * Adaptive Gauss–Hermite quadrature against independent oracles: the Gauss–Hermite rule against the normal's
 * moments; on the linear-Gaussian model (closed forms), the Laplace points against the exact posterior, the AGQ
 * log-likelihood against the exact one and its information against the exact Hessian.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { agqLikelihood, gaussHermite } from '../../runtime/uq/agq.js';
import { observedInformation } from '../../runtime/uq/information.js';
import type { UqProblem } from '../../runtime/uq/marginal.js';
import { closedForm, type Subject } from './gaussian-closed-form.js';
import { linearProblem } from './linear-problem.js';

const doubleFactorial = (k: number): number => (k <= 0 ? 1 : k * doubleFactorial(k - 2));

describe('Gauss–Hermite rule', () => {
  it('integrates z^m against the standard normal exactly for m < 2n', () => {
    for (const n of [1, 2, 5, 9, 20]) {
      const { nodes, weights } = gaussHermite(n);
      for (let m = 0; m < 2 * n && m <= 24; m++) {
        const q = nodes.reduce((s, z, k) => s + weights[k]! * z ** m, 0);
        const exact = m % 2 === 1 ? 0 : doubleFactorial(m - 1);
        expect(Math.abs(q - exact), `n ${n}, m ${m}`).toBeLessThan(1e-12 * doubleFactorial(m + (m % 2)) * 10);
      }
    }
  });
});

describe('AGQ on the linear-Gaussian model (exact closed forms)', () => {
  let problem: UqProblem;
  let subjects: Subject[];
  const v = Float64Array.from([1.1, 0.27, -0.035, Math.log(0.5), Math.log(0.2), Math.log(0.3)]);
  beforeAll(async () => {
    ({ problem, subjects } = await linearProblem(12, 31));
  });

  it('finds each subject\'s exact posterior mean and covariance as its Laplace point', async () => {
    const agq = await agqLikelihood(problem, v, subjects.map(() => [0.4, -0.2]), 1);
    expect(agq.points.failed).toEqual([]);
    expect(agq.points.unconverged).toEqual([]);
    subjects.forEach((s, i) => {
      const post = closedForm(s, v).posterior;
      const c = agq.points.chol[i]!;
      const cov = [c[0]! ** 2, c[0]! * c[2]!, c[0]! * c[2]!, c[2]! ** 2 + c[3]! ** 2];
      for (let r = 0; r < 2; r++) expect(agq.points.mode[i]![r]).toBeCloseTo(post.mean[r]!, 6);
      for (let q = 0; q < 4; q++) expect(Math.abs(cov[q]! - post.cov[q]!)).toBeLessThan(1e-4 * Math.abs(post.cov[0]!));
    });
  });

  it('gives the exact log-likelihood with one node (Laplace) and with five, and a zero node-convergence change', async () => {
    const exact = subjects.reduce((s, subject) => s + closedForm(subject, v).logLik, 0);
    for (const nodes of [1, 5]) {
      const agq = await agqLikelihood(problem, v, subjects.map(() => [0, 0]), nodes);
      expect(Math.abs(agq.logLik - exact)).toBeLessThan(1e-5);
      expect(Math.abs(agq.convergence)).toBeLessThan(1e-5);
    }
  });

  it('its observed information is the exact Hessian of the marginal log-likelihood', async () => {
    const d = v.length;
    const exact = new Float64Array(d * d);
    for (const s of subjects) closedForm(s, v).hessian.forEach((h, idx) => (exact[idx] = exact[idx]! - h));
    const agq = await agqLikelihood(problem, v, subjects.map(() => [0, 0]), 3);
    const info = await observedInformation(problem, agq.at.set, agq.at.block, v);
    for (let idx = 0; idx < d * d; idx++) {
      const scale = Math.sqrt(Math.abs(exact[Math.floor(idx / d) * (d + 1)]! * exact[(idx % d) * (d + 1)]!));
      expect(Math.abs(info.information[idx]! - exact[idx]!), `entry ${Math.floor(idx / d)},${idx % d}`).toBeLessThan(1e-4 * scale);
    }
    // The gradient too: Σ ∇ log p_i against central differences of the closed form.
    const h = 1e-5;
    for (let k = 0; k < d; k++) {
      const shift = (x: number) => subjects.reduce((s, subject) => s + closedForm(subject, v.map((y, j) => (j === k ? y + x : y))).logLik, 0);
      const fd = (shift(h) - shift(-h)) / (2 * h);
      expect(Math.abs(agq.at.evaluation.gradient[k]! - fd), `gradient ${k}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    }
  });
});
