/** Adam, gradient clipping and the two learning-rate schedules. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';

describe('Adam', () => {
  it('first step moves each coordinate by lr against the gradient sign (bias correction)', () => {
    const x = nn.tensor([1, -2, 3], [3], true);
    const adam = new nn.Adam([x], { lr: 0.1 });
    nn.backward(nn.sum(nn.mul(nn.tensor([5, -0.01, 0]), x)));
    adam.step();
    // m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε)
    expect(x.data[0]).toBeCloseTo(0.9, 6);
    expect(x.data[1]).toBeCloseTo(-1.9, 5);
    expect(x.data[2]).toBe(3);
  });

  it('matches the update rule step by step', () => {
    const x = nn.tensor([0.5], [1], true);
    const adam = new nn.Adam([x], { lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-6 });
    let m = 0, v = 0, ref = 0.5;
    for (let t = 1; t <= 5; t++) {
      adam.zeroGrad();
      nn.backward(nn.sum(nn.mul(nn.square(x), x))); // d/dx x³ = 3x²
      const g = 3 * ref * ref;
      m = 0.8 * m + 0.2 * g;
      v = 0.9 * v + 0.1 * g * g;
      ref -= (0.01 * (m / (1 - 0.8 ** t))) / (Math.sqrt(v / (1 - 0.9 ** t)) + 1e-6);
      adam.step();
      expect(x.data[0]).toBeCloseTo(ref, 15);
    }
  });

  it('minimizes an ill-conditioned convex quadratic', () => {
    // f(x) = ½ (x − c)ᵀ A (x − c), A = diag(100, 1, 0.1) rotated: least-squares form ‖M(x − c)‖²/2.
    const M = nn.tensor([[10, 0, 0], [0.5, 1, 0], [0, 0.2, 0.3]]);
    const c = nn.tensor([1, -2, 0.5], [3, 1]);
    const x = nn.zeros([3, 1], true);
    const adam = new nn.Adam([x], { lr: 0.05 });
    let f = Infinity;
    for (let i = 0; i < 2000; i++) {
      adam.zeroGrad();
      const r = nn.matmul(M, nn.sub(x, c));
      const loss = nn.scale(nn.sum(nn.square(r)), 0.5);
      f = loss.item();
      nn.backward(loss);
      adam.step();
    }
    expect(f).toBeLessThan(1e-8);
    [1, -2, 0.5].forEach((v, i) => expect(x.data[i]).toBeCloseTo(v, 3));
  });

  it('state round-trips (checkpoint and resume gives the same trajectory)', () => {
    const run = (resumeAt: number | null): number[] => {
      const x = nn.tensor([2, -1], [2], true);
      let adam = new nn.Adam([x], { lr: 0.1 });
      for (let i = 0; i < 6; i++) {
        if (i === resumeAt) {
          const saved = JSON.parse(JSON.stringify(adam.state())) as nn.AdamState;
          adam = new nn.Adam([x], { lr: 1 });
          adam.loadState(saved);
        }
        adam.zeroGrad();
        nn.backward(nn.sum(nn.exp(x)));
        adam.step();
      }
      return Array.from(x.data);
    };
    expect(run(3)).toEqual(run(null));
  });
});

describe('gradient clipping', () => {
  it('scales to the max global norm, keeping the direction; leaves small gradients alone', () => {
    const a = nn.tensor([0, 0], [2], true);
    const b = nn.tensor([0], [1], true);
    a.grad = Float64Array.of(3, 0);
    b.grad = Float64Array.of(4);
    expect(nn.globalGradNorm([a, b])).toBe(5);
    expect(nn.clipGradNorm([a, b], 1)).toBe(5);
    expect(a.grad[0]).toBeCloseTo(0.6, 15);
    expect(a.grad[1]).toBe(0);
    expect(b.grad[0]).toBeCloseTo(0.8, 15);
    expect(nn.globalGradNorm([a, b])).toBeCloseTo(1, 15);
    expect(nn.clipGradNorm([a, b], 2)).toBeCloseTo(1, 15);
    expect(b.grad[0]).toBeCloseTo(0.8, 15);
    const c = nn.tensor([0], [1], true);
    expect(nn.globalGradNorm([c])).toBe(0);
  });
});

describe('schedules', () => {
  it('cosine annealing', () => {
    const lr = nn.cosineAnnealing({ lr: 0.1, steps: 100, minLr: 0.01 });
    expect(lr(0)).toBeCloseTo(0.1, 15);
    expect(lr(50)).toBeCloseTo(0.055, 15);
    expect(lr(25)).toBeCloseTo(0.01 + 0.045 * (1 + Math.SQRT1_2), 15);
    expect(lr(100)).toBeCloseTo(0.01, 15);
    expect(lr(1000)).toBeCloseTo(0.01, 15);
    expect(nn.cosineAnnealing({ lr: 1, steps: 4 })(2)).toBeCloseTo(0.5, 15);
  });

  it('reduce on plateau: the seed PK schedule (0.1 → 0.05 after 50 epochs without improvement)', () => {
    const s = new nn.ReduceOnPlateau({ lr: 0.1, factor: 0.5, patience: 50, minLr: 0.05 });
    expect(s.step(10)).toBe(0.1);
    for (let i = 0; i < 49; i++) expect(s.step(10 + i * 1e-3)).toBe(0.1);
    expect(s.step(11)).toBe(0.05); // 50th non-improving epoch
    for (let i = 0; i < 200; i++) s.step(12);
    expect(s.lr).toBe(0.05); // floored at minLr
    expect(s.reductions).toBe(1);
  });

  it('reduce on plateau: improvement resets the count; threshold, cooldown and max mode', () => {
    const s = new nn.ReduceOnPlateau({ lr: 1, factor: 0.1, patience: 2, threshold: 0.01, cooldown: 1 });
    const lrs = [5, 4.99, 4.98, 3, 3, 3, 3, 3, 3].map((m) => s.step(m));
    // 4.99 and 4.98 are < 1 % better than 5: no improvement → reduced at the second; 3 improves; then
    // bad epochs 3, 3 → reduced; one cooldown epoch is not counted; then 3, 3 → reduced again.
    expect(lrs.map((v) => +v.toPrecision(12))).toEqual([1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]);
    const up = new nn.ReduceOnPlateau({ lr: 1, patience: 1, mode: 'max' });
    expect(up.step(1)).toBe(1);
    expect(up.step(2)).toBe(1);
    expect(up.step(1.5)).toBe(0.5);
    expect(up.step(NaN)).toBe(0.25);
  });
});
