/**
 * The planar flow of the 'flow' posterior family (runtime/infer/flow.ts) against finite differences: the output
 * and the log-determinant in the draw and in every layer's raw (u, w, b); the log-determinant against the log
 * |det| of the Jacobian built by central differences; the invertibility constraint ûᵀw ≥ −1 (det > 0) for raw
 * parameters that violate it; the bound on û where w → 0 makes the constraint's ū large; and the inverse: f⁻¹(f(ε)) = ε with the same log-determinant, also where a layer is
 * near the constraint's edge (ûᵀw ≈ −1, where the scalar equation is flattest).
 */
import { describe, expect, it } from 'vitest';
import { flowBackward, flowForward, flowInitialBias, flowWidth, PlanarFlow, SHIFT_BOUND } from '../../runtime/infer/flow.js';
import { mulberry32, standardNormal } from '../support/seeded-random.js';

const random = mulberry32(11);
const normals = (n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => scale * standardNormal(random));

/** F = gᵀ f(ε) + c · logDet, the contraction the backward step differentiates. */
function objective(eps: Float64Array, params: Float64Array, n: number, layers: number, g: Float64Array, c: number): number {
  const { out, logDet } = flowForward(eps, params, 0, n, layers);
  let f = c * logDet;
  for (let k = 0; k < n; k++) f += g[k]! * out[k]!;
  return f;
}

/** Central difference of F in entry i of x (4th order). */
function difference(F: () => number, x: Float64Array, i: number): number {
  const x0 = x[i]!;
  const h = 1e-4 * Math.max(1, Math.abs(x0));
  const at = (d: number): number => {
    x[i] = x0 + d;
    const v = F();
    x[i] = x0;
    return v;
  };
  return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
}

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-6);

describe('planar flow', () => {
  for (const [n, layers] of [[1, 1], [1, 3], [2, 2], [4, 2], [8, 3]] as const) {
    it(`gradients in ε and every layer's (u, w, b) match finite differences (n = ${n}, ${layers} layers)`, () => {
      for (let trial = 0; trial < 3; trial++) {
        const eps = normals(n);
        const params = normals(flowWidth(n, layers), 0.8);
        const g = normals(n);
        const c = standardNormal(random);
        const { tape } = flowForward(eps, params, 0, n, layers);
        const gParams = new Float64Array(params.length);
        const gEps = flowBackward(tape, g, c, gParams, 0);
        const F = (): number => objective(eps, params, n, layers, g, c);
        let worst = 0;
        for (let i = 0; i < n; i++) worst = Math.max(worst, relative(gEps[i]!, difference(F, eps, i)));
        for (let i = 0; i < params.length; i++) worst = Math.max(worst, relative(gParams[i]!, difference(F, params, i)));
        expect(worst).toBeLessThan(1e-6);
      }
    });
  }

  it('a layer with w near 0 (the constraint\'s ū ~ 1/|w|) moves a draw by less than SHIFT_BOUND, with exact gradients', () => {
    for (const n of [1, 3]) {
      const layers = 2;
      const params = normals(flowWidth(n, layers), 1);
      for (let l = 0; l < layers; l++) for (let k = 0; k < n; k++) params[l * (2 * n + 1) + n + k]! *= 0.03;
      const eps = normals(n);
      const { out, tape } = flowForward(eps, params, 0, n, layers);
      const shift = Math.hypot(...Array.from(out, (v, k) => v - eps[k]!));
      expect(shift).toBeLessThan(layers * SHIFT_BOUND);
      expect(Math.max(...Array.from(tape.flow.uHat, Math.abs))).toBeLessThan(SHIFT_BOUND);
      // Unbounded, ū ≈ 0.31 w/|w|² would be larger than the bound here.
      expect(Math.hypot(...Array.from(tape.flow.uBar.subarray(0, n)))).toBeGreaterThan(SHIFT_BOUND);
      const g = normals(n);
      const c = standardNormal(random);
      const gParams = new Float64Array(params.length);
      const gEps = flowBackward(tape, g, c, gParams, 0);
      const F = (): number => objective(eps, params, n, layers, g, c);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, relative(gEps[i]!, difference(F, eps, i)));
      for (let i = 0; i < params.length; i++) worst = Math.max(worst, relative(gParams[i]!, difference(F, params, i)));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('log det equals log |det J| of the Jacobian by central differences, and det > 0 for any raw parameters', () => {
    const n = 3;
    const layers = 3;
    for (let trial = 0; trial < 5; trial++) {
      const eps = normals(n);
      // Raw u opposite to w (wᵀu ≪ −1) would break invertibility without the constraint.
      const params = normals(flowWidth(n, layers), 2);
      for (let l = 0; l < layers; l++) for (let k = 0; k < n; k++) params[l * (2 * n + 1) + k] = -3 * params[l * (2 * n + 1) + n + k]!;
      const J: number[][] = [];
      for (let j = 0; j < n; j++) {
        const column = Float64Array.from({ length: n }, (_, k) => {
          const e = Float64Array.from(eps);
          return difference(() => flowForward(e, params, 0, n, layers).out[k]!, e, j);
        });
        J.push(Array.from(column));
      }
      const det3 = (m: number[][]): number =>
        m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
      const det = det3(J);
      expect(det).toBeGreaterThan(0);
      expect(Math.abs(flowForward(eps, params, 0, n, layers).logDet - Math.log(det))).toBeLessThan(1e-6);
    }
  });

  it('the inverse recovers ε and the log-determinant (n = 1, 3, 6; raw parameters up to the constraint\'s edge)', () => {
    for (const [n, layers, scale] of [[1, 2, 1], [1, 4, 3], [3, 3, 2], [6, 2, 1.5]] as const) {
      for (let trial = 0; trial < 50; trial++) {
        const params = normals(flowWidth(n, layers), scale);
        // Every fourth trial: every raw u = −3w, so wᵀu ≪ 0 and ûᵀw = m(wᵀu) → −1.
        if (trial % 4 === 3) for (let l = 0; l < layers; l++) for (let k = 0; k < n; k++) params[l * (2 * n + 1) + k] = -3 * params[l * (2 * n + 1) + n + k]!;
        const eps = normals(n, 2);
        const { out, logDet } = flowForward(eps, params, 0, n, layers);
        const back = new Float64Array(n);
        const inverseLogDet = new PlanarFlow(n, layers).load(params, 0).inverse(out, 0, back, 0);
        for (let k = 0; k < n; k++) expect(Math.abs(back[k]! - eps[k]!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(eps[k]!)));
        expect(Math.abs(inverseLogDet - logDet)).toBeLessThan(1e-9);
      }
    }
  });

  it('starts as the identity from the head biases', () => {
    for (const n of [1, 2, 5]) {
      const eps = normals(n);
      const { out, logDet } = flowForward(eps, flowInitialBias(n), 0, n);
      for (let k = 0; k < n; k++) expect(Math.abs(out[k]! - eps[k]!)).toBeLessThan(1e-9);
      expect(Math.abs(logDet)).toBeLessThan(1e-9);
    }
  });
});
