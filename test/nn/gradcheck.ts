/**
 * Gradient check against finite differences, for the runtime/nn tests. The output is contracted with fixed
 * random weights w (so every output entry matters): L = Σ wᵢ yᵢ. Each input entry's ∂L/∂x is compared with the
 * fourth-order central difference
 *
 *   (−L(x + 2h) + 8L(x + h) − 8L(x − h) + L(x − 2h)) / 12h,   h = 1e-3 · max(1, |x|),
 *
 * whose truncation error (~h⁴) and rounding error (~ε·|L|/h) are both far below 1e-6 relative in f64. The error of
 * an entry is |analytic − numeric| / max(|analytic|, |numeric|, floor); the floor (default 1e-5) keeps exact zeros
 * (masked entries) from turning rounding noise into a relative error.
 */
import { Rng, Tensor, backward, noGrad } from '../../runtime/nn/index.js';

export interface GradCheckResult {
  /** Largest relative error over all checked entries. */
  readonly maxError: number;
  /** Where it occurred: input index and entry. */
  readonly worst: string;
  /** Entries checked. */
  readonly checked: number;
}

function contract(y: Tensor, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.size; i++) s += w[i]! * y.data[i]!;
  return s;
}

/** Compares backward() with finite differences for every entry of every tensor in `inputs` (which `f` reads). */
export function gradCheck(f: () => Tensor, inputs: readonly Tensor[], options: { floor?: number; seed?: number } = {}): GradCheckResult {
  const floor = options.floor ?? 1e-5;
  const rng = new Rng(options.seed ?? 1234);
  const y0 = f();
  const w = new Float64Array(y0.size);
  for (let i = 0; i < w.length; i++) w[i] = 2 * rng.uniform() - 1;
  for (const x of inputs) x.zeroGrad();
  backward(y0, w);
  const analytic = inputs.map((x) => (x.grad === null ? new Float64Array(x.size) : x.grad.slice()));
  const L = (): number => noGrad(() => contract(f(), w));
  let maxError = 0;
  let worst = '';
  let checked = 0;
  inputs.forEach((x, q) => {
    for (let i = 0; i < x.size; i++) {
      const x0 = x.data[i]!;
      const h = 1e-3 * Math.max(1, Math.abs(x0));
      x.data[i] = x0 + 2 * h;
      const p2 = L();
      x.data[i] = x0 + h;
      const p1 = L();
      x.data[i] = x0 - h;
      const m1 = L();
      x.data[i] = x0 - 2 * h;
      const m2 = L();
      x.data[i] = x0;
      const numeric = (-p2 + 8 * p1 - 8 * m1 + m2) / (12 * h);
      const a = analytic[q]![i]!;
      const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
      checked++;
      if (!(err <= maxError)) {
        maxError = err;
        worst = `input ${q}${x.name ? ` (${x.name})` : ''} entry ${i}: analytic ${a}, numeric ${numeric}`;
      }
    }
  });
  return { maxError, worst, checked };
}

/** A leaf tensor with seeded values uniform in [lo, hi), requiring grad. */
export function randomLeaf(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = new Rng(seed);
  let n = 1;
  for (const d of shape) n *= d;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.uniform();
  return new Tensor(data, shape, true);
}
