/**
 * The mode of a flow posterior, η̂ = argmax q(η | Y_i) with η = μ + L f(ε) (flow.ts). The map ε ↦ η is a bijection
 * and log q(η(ε)) = log N(ε; 0, I) − log |det f′(ε)| − Σ log L_rr, so η̂ = μ + L f(ε̂) with ε̂ the minimizer of
 *
 *   F(ε) = |ε|²/2 + log |det f′(ε)|,   ∇F = ε + ∂ log|det f′|/∂ε   (flow.ts `backward` with cLogDet = 1),
 *
 * found by BFGS with a backtracking (Armijo) line search. F is smooth but need not be convex (planar layers can
 * make q bimodal), so the search starts from ε = 0 (the base Gaussian's mode), from `start` when given (the ε of
 * q's mean) and from ±1.5 along each axis, and keeps the lowest F: 2n + 2 short searches of a few microseconds.
 */
import { flowTapeWidth, PlanarFlow } from './flow.js';

const GRADIENT_TOLERANCE = 1e-10;
const MAX_ITERATIONS = 200;

export interface FlowModeResult {
  /** ε̂ and f(ε̂) (η̂ = μ + L f(ε̂)). */
  readonly eps: Float64Array;
  readonly z: Float64Array;
  /** F(ε̂) = −log q(η̂) − n log √(2π) − Σ log L_rr. */
  readonly value: number;
  /** The largest |∂F/∂ε| at ε̂ over the starts kept. */
  readonly gradient: number;
}

class Objective {
  private readonly tape: Float64Array;
  private readonly z: Float64Array;
  private readonly scratch: Float64Array;
  private readonly zero: Float64Array;

  constructor(private readonly flow: PlanarFlow) {
    this.tape = new Float64Array(flowTapeWidth(flow.n, flow.layers));
    this.z = new Float64Array(flow.n);
    this.scratch = new Float64Array(flow.layers * (2 * flow.n + 1));
    this.zero = new Float64Array(flow.n);
  }

  /** F(ε), with ∇F into `gradient` when given. */
  at(eps: Float64Array, gradient?: Float64Array): number {
    const n = this.flow.n;
    const logDet = this.flow.forward(eps, 0, this.z, 0, this.tape, 0);
    let value = logDet;
    for (let k = 0; k < n; k++) value += eps[k]! ** 2 / 2;
    if (gradient) {
      this.flow.backward(this.tape, 0, this.zero, 0, 1, this.scratch, 0, gradient, 0);
      for (let k = 0; k < n; k++) gradient[k] = gradient[k]! + eps[k]!;
    }
    return value;
  }
}

/** BFGS on F from `x` (overwritten with the minimizer); returns F there and the final max |∇F|. */
function bfgs(objective: Objective, x: Float64Array): { value: number; gradient: number } {
  const n = x.length;
  const H = new Float64Array(n * n);
  const resetH = (): void => {
    H.fill(0);
    for (let k = 0; k < n; k++) H[k * n + k] = 1;
  };
  resetH();
  const g = new Float64Array(n);
  const gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const trial = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);
  let value = objective.at(x, g);
  for (let it = 0; it < MAX_ITERATIONS && maxAbs(g) > GRADIENT_TOLERANCE; it++) {
    let slope = 0;
    for (let k = 0; k < n; k++) {
      let v = 0;
      for (let j = 0; j < n; j++) v -= H[k * n + j]! * g[j]!;
      d[k] = v;
      slope += v * g[k]!;
    }
    if (!(slope < 0)) {
      // Not a descent direction (H lost positive definiteness to rounding): restart from steepest descent.
      resetH();
      slope = 0;
      for (let k = 0; k < n; k++) slope -= (d[k] = -g[k]!) * g[k]!;
    }
    let t = 1;
    let next = Infinity;
    for (let halvings = 0; halvings < 60; halvings++, t /= 2) {
      for (let k = 0; k < n; k++) trial[k] = x[k]! + t * d[k]!;
      next = objective.at(trial, gNew);
      if (next <= value + 1e-4 * t * slope) break;
    }
    if (!(next <= value)) break;
    let sy = 0;
    for (let k = 0; k < n; k++) {
      s[k] = trial[k]! - x[k]!;
      y[k] = gNew[k]! - g[k]!;
      sy += s[k]! * y[k]!;
    }
    x.set(trial);
    g.set(gNew);
    const improvement = value - next;
    value = next;
    if (improvement <= 1e-16 * Math.max(1, Math.abs(value)) && maxAbs(s) < 1e-14) break;
    if (sy > 1e-300) updateInverse(H, s, y, Hy, sy);
  }
  return { value, gradient: maxAbs(g) };
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1 / sᵀy (the BFGS update of the inverse Hessian). */
function updateInverse(H: Float64Array, s: Float64Array, y: Float64Array, Hy: Float64Array, sy: number): void {
  const n = s.length;
  let yHy = 0;
  for (let k = 0; k < n; k++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += H[k * n + j]! * y[j]!;
    Hy[k] = v;
    yHy += y[k]! * v;
  }
  const rho = 1 / sy;
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) H[k * n + j] = H[k * n + j]! - rho * (Hy[k]! * s[j]! + s[k]! * Hy[j]!) + (rho * rho * yHy + rho) * s[k]! * s[j]!;
  }
}

const maxAbs = (v: ArrayLike<number>): number => {
  let m = 0;
  for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]!));
  return m;
};

/** ε̂ and f(ε̂) of one subject's layers (a loaded PlanarFlow); `start`: an extra starting ε (q's mean's). */
export function flowMode(flow: PlanarFlow, start?: ArrayLike<number>): FlowModeResult {
  const n = flow.n;
  const objective = new Objective(flow);
  const starts: Float64Array[] = [new Float64Array(n)];
  if (start) starts.push(Float64Array.from(start));
  for (let k = 0; k < n; k++) for (const sign of [1.5, -1.5]) starts.push(Float64Array.from({ length: n }, (_, j) => (j === k ? sign : 0)));
  let best: { eps: Float64Array; value: number; gradient: number } | undefined;
  for (const x of starts) {
    const r = bfgs(objective, x);
    if (Number.isFinite(r.value) && (!best || r.value < best.value)) best = { eps: x, ...r };
  }
  const eps = best?.eps ?? new Float64Array(n);
  const z = new Float64Array(n);
  flow.forward(eps, 0, z, 0);
  return { eps, z, value: best?.value ?? NaN, gradient: best?.gradient ?? NaN };
}
