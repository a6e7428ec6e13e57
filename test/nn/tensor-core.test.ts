/** The autodiff core: graph recording, topological backward, accumulation, seeds, noGrad. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';

describe('Tensor and backward', () => {
  it('builds tensors from nested arrays and checks shapes', () => {
    const t = nn.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(nn.scalar(3).shape).toEqual([]);
    expect(nn.scalar(3).item()).toBe(3);
    expect(() => nn.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => nn.tensor([1, 2, 3], [2, 2])).toThrow(/needs 4 values/);
    expect(() => t.item()).toThrow(/not 1/);
  });

  it('a diamond (a value used twice) sums both paths: d/dx (x·x + x) = 2x + 1', () => {
    const x = nn.tensor([3, -2], [2], true);
    const y = nn.sum(nn.add(nn.mul(x, x), x));
    nn.backward(y);
    expect(Array.from(x.grad!)).toEqual([7, -3]);
  });

  it('leaf gradients accumulate across backward calls; zeroGrad clears them', () => {
    const x = nn.tensor([1, 2], [2], true);
    const y = nn.sum(nn.scale(x, 3));
    nn.backward(y);
    nn.backward(y);
    expect(Array.from(x.grad!)).toEqual([6, 6]);
    x.zeroGrad();
    nn.backward(nn.sum(x));
    expect(Array.from(x.grad!)).toEqual([1, 1]);
  });

  it('a non-scalar root needs a seed, which weights the outputs', () => {
    const x = nn.tensor([1, 2, 3], [3], true);
    const y = nn.square(x);
    expect(() => nn.backward(y)).toThrow(/explicit seed/);
    nn.backward(y, [1, 0, -1]);
    expect(Array.from(x.grad!)).toEqual([2, 0, -6]);
  });

  it('constants get no gradient, and a graph without parameters cannot be differentiated', () => {
    const c = nn.tensor([1, 2]);
    const x = nn.tensor([3, 4], [2], true);
    nn.backward(nn.sum(nn.mul(c, x)));
    expect(c.grad).toBeNull();
    expect(Array.from(x.grad!)).toEqual([1, 2]);
    expect(() => nn.backward(nn.sum(c))).toThrow(/does not require grad/);
  });

  it('noGrad records nothing', () => {
    const x = nn.tensor([1, 2], [2], true);
    const y = nn.noGrad(() => nn.exp(x));
    expect(y.requiresGrad).toBe(false);
    expect(y.inputs).toEqual([]);
    expect(nn.isGradEnabled()).toBe(true);
  });

  it('a long chain (2,000 ops) back-propagates without recursion', () => {
    const x = nn.tensor([0.5], [1], true);
    let y = x;
    for (let i = 0; i < 2000; i++) y = nn.shift(y, 0.001);
    nn.backward(nn.sum(y));
    expect(x.grad![0]).toBe(1);
    expect(nn.topologicalOrder(y).length).toBe(2001);
  });

  it('detach cuts the graph', () => {
    const x = nn.tensor([2], [1], true);
    const y = nn.mul(nn.square(x).detach(), x);
    nn.backward(nn.sum(y));
    expect(x.grad![0]).toBe(4);
  });
});

describe('the finite-difference checker', () => {
  it('catches a wrong derivative', async () => {
    const { gradCheck, randomLeaf } = await import('./gradcheck.js');
    const { fromOp } = await import('../../runtime/nn/tensor.js');
    // sin with the derivative off by 1e-5 relative
    const badSin = (a: nn.Tensor): nn.Tensor =>
      fromOp(a.data.map(Math.sin), a.shape, [a], (g) => {
        const ga = a.ensureGrad();
        for (let i = 0; i < g.length; i++) ga[i]! += g[i]! * Math.cos(a.data[i]!) * (1 + 1e-5);
      });
    const x = randomLeaf([5], 1);
    expect(gradCheck(() => badSin(x), [x]).maxError).toBeGreaterThan(5e-6);
    const goodSin = (a: nn.Tensor): nn.Tensor =>
      fromOp(a.data.map(Math.sin), a.shape, [a], (g) => {
        const ga = a.ensureGrad();
        for (let i = 0; i < g.length; i++) ga[i]! += g[i]! * Math.cos(a.data[i]!);
      });
    expect(gradCheck(() => goodSin(x), [x]).maxError).toBeLessThan(1e-9);
  });
});
