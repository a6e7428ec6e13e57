/**
 * Oracles for the maximum-likelihood finish that do not share its machinery: finite differences of the *adaptive*
 * AGQ log-likelihood (every evaluation re-finds the modes and re-places the grid, where the finish holds its grid
 * fixed and uses Louis' identity), and brute-force quadrature on a dense uniform grid for one random effect.
 */
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { unpack } from '../../runtime/infer/population.js';
import { agqEvaluate } from '../../runtime/uq/agq.js';
import { laplacePoints } from '../../runtime/uq/laplace.js';
import type { UqProblem } from '../../runtime/uq/marginal.js';

const zeros = (problem: UqProblem) => Array.from({ length: problem.data.nSubjects }, () => new Float64Array(problem.model.dims.neta));

/** Σ log p and its gradient with the grid re-adapted at v. */
export async function adaptiveAgq(problem: UqProblem, v: Float64Array, nodes: number): Promise<{ logLik: number; gradient: Float64Array }> {
  const points = await laplacePoints(problem, v, zeros(problem));
  const at = await agqEvaluate(problem, v, points, nodes);
  return { logLik: at.logLik, gradient: at.evaluation.gradient };
}

/** The score by central differences of the adaptive AGQ value, and −∇² by central differences of its gradient. */
export async function adaptiveDerivatives(problem: UqProblem, v: Float64Array, nodes: number, h = 1e-3): Promise<{ score: Float64Array; information: Float64Array }> {
  const d = v.length;
  const score = new Float64Array(d);
  const information = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const shifted = async (sign: number) => adaptiveAgq(problem, Float64Array.from(v, (x, j) => (j === k ? x + sign * h : x)), nodes);
    const [plus, minus] = [await shifted(1), await shifted(-1)];
    score[k] = (plus.logLik - minus.logLik) / (2 * h);
    for (let j = 0; j < d; j++) information[j * d + k] = -(plus.gradient[j]! - minus.gradient[j]!) / (2 * h);
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) information[j * d + k] = information[k * d + j] = (information[j * d + k]! + information[k * d + j]!) / 2;
  return { score, information };
}

/** log p(Y_i) for one random effect by the trapezoid rule on `points` nodes uniformly over ±`width`·ω. */
export async function denseQuadrature1d(problem: UqProblem, v: Float64Array, subjects: readonly number[], points = 1201, width = 7): Promise<Float64Array> {
  const { np } = problem.model.dims;
  const { phi, omega, error } = unpack(problem.layout, v);
  const w = omega[0]!;
  const step = (2 * width * w) / (points - 1);
  const rows = { subject: new Int32Array(subjects.length * points), p: new Float64Array(subjects.length * points * np) };
  const p = new Float64Array(np);
  subjects.forEach((i, s) => {
    for (let q = 0; q < points; q++) {
      problem.model.ts.individual(phi, [-width * w + q * step], problem.covariates[i]!, p);
      rows.subject[s * points + q] = i;
      rows.p.set(p, (s * points + q) * np);
    }
  });
  const lik = await problem.engine.logLikelihood(rows, error);
  return Float64Array.from(subjects, (_, s) => {
    let m = -Infinity;
    const f = new Float64Array(points);
    for (let q = 0; q < points; q++) {
      const eta = -width * w + q * step;
      const ok = lik.status[s * points + q] === TrajectoryStatus.Ok;
      f[q] = ok ? lik.logLik[s * points + q]! - 0.5 * (eta / w) ** 2 - Math.log(w * Math.sqrt(2 * Math.PI)) : -Infinity;
      m = Math.max(m, f[q]!);
    }
    let sum = 0;
    for (let q = 0; q < points; q++) sum += (q === 0 || q === points - 1 ? 0.5 : 1) * Math.exp(f[q]! - m);
    return m + Math.log(sum * step);
  });
}
