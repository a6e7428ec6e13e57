/** The exact maximum-likelihood estimate of linear.nlm: Newton's method on the closed-form log-likelihood. */
import { covarianceFromInformation } from '../../runtime/uq/covariance.js';
import { symmetricEigen } from '../../runtime/uq/symmetric-eigen.js';
import { closedForm, type Subject } from './gaussian-closed-form.js';

/** The exact maximum-likelihood estimate of the linear model by Newton's method on the closed form. */
export function exactMle(subjects: Subject[], v0: number[]): { v: number[]; logLik: number; se: number[] } {
  const total = (v: number[]) => subjects.reduce((s, x) => s + closedForm(x, v).logLik, 0);
  const d = v0.length;
  let v = [...v0];
  for (let it = 0; it < 50; it++) {
    const h = 1e-6;
    const g = v.map((_, k) => (total(v.map((x, j) => (j === k ? x + h : x))) - total(v.map((x, j) => (j === k ? x - h : x)))) / (2 * h));
    const info = new Float64Array(d * d);
    for (const x of subjects) closedForm(x, v).hessian.forEach((a, idx) => (info[idx] = info[idx]! - a));
    const { values, vectors } = symmetricEigen(info, d);
    const step = v.map((_, i) => values.reduce((acc, lam, k) => acc + (vectors[i * d + k]! * vectors.reduce((u, _x, j) => (j % d === k ? u + vectors[j]! * g[Math.floor(j / d)]! : u), 0)) / lam, 0));
    v = v.map((x, i) => x + step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  const info = new Float64Array(d * d);
  for (const x of subjects) closedForm(x, v).hessian.forEach((a, idx) => (info[idx] = info[idx]! - a));
  const cov = covarianceFromInformation(info, v.map((_, k) => `v${k}`));
  if (!cov.ok) throw new Error('the closed-form information is not positive definite');
  return { v, logLik: total(v), se: Array.from(cov.se) };
}

