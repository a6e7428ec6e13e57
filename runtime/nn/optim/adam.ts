/**
 * Adam (Kingma & Ba 2015) with bias correction, as in Optax's `adam` (ε outside the square root):
 *
 *   m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
 *
 * It minimizes: to maximize the ELBO, seed backward with −∂ELBO. A parameter whose grad is null (no gradient
 * reached it this step) is updated with g = 0, as Optax does, so its moments keep decaying.
 */
import type { Tensor } from '../tensor.js';

export interface AdamOptions {
  /** Learning rate; may be changed between steps (schedules set `adam.lr`). */
  readonly lr: number;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly eps?: number;
}

/** Moments and step count, JSON-ready (for checkpoints). */
export interface AdamState {
  readonly step: number;
  readonly lr: number;
  readonly m: readonly (readonly number[])[];
  readonly v: readonly (readonly number[])[];
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken (t in the bias correction). */
  t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  constructor(readonly params: readonly Tensor[], options: AdamOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const p of params) if (!p.requiresGrad) throw new Error(`Adam: ${p.name ?? 'a tensor'} does not require grad; only parameters can be optimized`);
    this.m = params.map((p) => new Float64Array(p.size));
    this.v = params.map((p) => new Float64Array(p.size));
  }

  /** One update of every parameter from its current grad. */
  step(): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 / (1 - b1 ** this.t);
    const c2 = 1 / (1 - b2 ** this.t);
    const lr = this.lr;
    this.params.forEach((p, q) => {
      const m = this.m[q]!;
      const v = this.v[q]!;
      const g = p.grad;
      const x = p.data;
      for (let i = 0; i < x.length; i++) {
        const gi = g === null ? 0 : g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        x[i]! -= (lr * (mi * c1)) / (Math.sqrt(vi * c2) + eps);
      }
    });
  }

  /** Clears the parameters' gradients. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  state(): AdamState {
    return { step: this.t, lr: this.lr, m: this.m.map((a) => Array.from(a)), v: this.v.map((a) => Array.from(a)) };
  }

  /** Restores `state()` output taken from an Adam over parameters of the same sizes. */
  loadState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.m.some((a, q) => a.length !== this.m[q]!.length || state.v[q]?.length !== a.length)) {
      throw new Error('Adam.loadState: the saved moments do not match these parameters');
    }
    this.t = state.step;
    this.lr = state.lr;
    state.m.forEach((a, q) => this.m[q]!.set(a));
    state.v.forEach((a, q) => this.v[q]!.set(a));
  }
}
