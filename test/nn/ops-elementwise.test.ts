/** Element-wise ops: values, numerically stable forms, and gradients (with broadcasting) against finite differences. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';
import { gradCheck, randomLeaf } from './gradcheck.js';

const TOL = 1e-6;

describe('unary ops', () => {
  const cases: Array<[string, (x: nn.Tensor) => nn.Tensor, number, number]> = [
    ['exp', nn.exp, -2, 2],
    ['log', nn.log, 0.2, 3],
    ['tanh', nn.tanh, -2, 2],
    ['sigmoid', nn.sigmoid, -4, 4],
    ['gelu', nn.gelu, -3, 3],
    ['softplus', nn.softplus, -4, 4],
    ['square', nn.square, -2, 2],
    ['sqrt', nn.sqrt, 0.2, 3],
    ['neg', nn.neg, -2, 2],
  ];
  for (const [name, fn, lo, hi] of cases) {
    it(`${name}: gradient matches finite differences`, () => {
      const x = randomLeaf([3, 4], 11, lo, hi);
      const r = gradCheck(() => fn(x), [x]);
      expect(r.maxError, r.worst).toBeLessThan(TOL);
    });
  }

  it('relu: gradient away from the kink, and 0 below it', () => {
    const x = nn.tensor([-1.5, -0.3, 0.4, 2, -0.7, 1.1], [2, 3], true);
    const r = gradCheck(() => nn.relu(x), [x]);
    expect(r.maxError, r.worst).toBeLessThan(TOL);
    expect(Array.from(nn.relu(x).data)).toEqual([0, 0, 0.4, 2, 0, 1.1]);
  });

  it('values agree with their definitions', () => {
    const xs = [-3, -0.5, 0, 0.25, 2];
    const x = nn.tensor(xs);
    const c = Math.sqrt(2 / Math.PI);
    nn.gelu(x).data.forEach((v, i) => expect(v).toBeCloseTo(0.5 * xs[i]! * (1 + Math.tanh(c * (xs[i]! + 0.044715 * xs[i]! ** 3))), 15));
    nn.sigmoid(x).data.forEach((v, i) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-xs[i]!)), 15));
    nn.softplus(x).data.forEach((v, i) => expect(v).toBeCloseTo(Math.log(1 + Math.exp(xs[i]!)), 14));
  });

  it('sigmoid and softplus stay finite and exact for large |x|', () => {
    const x = nn.tensor([-800, -40, 40, 800], [4], true);
    const s = nn.sigmoid(x).data;
    expect(s[0]).toBe(0);
    expect(Math.abs(s[1]! / Math.exp(-40) - 1)).toBeLessThan(1e-14);
    expect(s[2]).toBe(1 / (1 + Math.exp(-40)));
    expect(s[3]).toBe(1);
    const sp = nn.softplus(x);
    expect(sp.data[0]).toBe(0);
    expect(sp.data[3]).toBe(800);
    expect(sp.data[1]).toBeCloseTo(Math.exp(-40), 30);
    nn.backward(nn.sum(sp));
    expect(Array.from(x.grad!)).toEqual(Array.from(nn.sigmoid(nn.tensor([-800, -40, 40, 800])).data));
  });
});

describe('binary ops with broadcasting', () => {
  const ops: Array<[string, (a: nn.Tensor, b: nn.Tensor) => nn.Tensor]> = [
    ['add', nn.add],
    ['sub', nn.sub],
    ['mul', nn.mul],
    ['div', nn.div],
  ];
  const shapes: Array<[string, number[], number[]]> = [
    ['same shape', [3, 4], [3, 4]],
    ['row (bias)', [2, 3, 4], [4]],
    ['column', [3, 4], [3, 1]],
    ['scalar', [3, 4], []],
    ['both broadcast', [3, 1], [1, 4]],
    ['middle axis', [2, 1, 4], [2, 3, 4]],
  ];
  for (const [name, op] of ops) {
    for (const [label, sa, sb] of shapes) {
      it(`${name}, ${label}: gradients of both operands`, () => {
        const a = randomLeaf(sa, 3, 0.5, 2);
        const b = randomLeaf(sb, 4, 0.5, 2);
        const r = gradCheck(() => op(a, b), [a, b]);
        expect(r.maxError, r.worst).toBeLessThan(TOL);
        const y = op(a, b);
        expect(y.shape).toEqual(nn.broadcastShapes(sa, sb));
      });
    }
  }

  it('broadcast values follow NumPy', () => {
    const a = nn.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(nn.add(a, nn.tensor([10, 20, 30])).data)).toEqual([11, 22, 33, 14, 25, 36]);
    expect(Array.from(nn.mul(a, nn.tensor([[2], [3]])).data)).toEqual([2, 4, 6, 12, 15, 18]);
    expect(Array.from(nn.sub(1, a).data)).toEqual([0, -1, -2, -3, -4, -5]);
    expect(Array.from(nn.div(6, nn.tensor([1, 2, 3])).data)).toEqual([6, 3, 2]);
    expect(() => nn.add(a, nn.tensor([1, 2]))).toThrow(/cannot broadcast/);
  });

  it('number operands are constants', () => {
    const a = randomLeaf([2, 3], 9, 0.5, 2);
    for (const f of [(x: nn.Tensor) => nn.add(x, 2), (x: nn.Tensor) => nn.sub(3, x), (x: nn.Tensor) => nn.mul(-1.5, x), (x: nn.Tensor) => nn.div(x, 4), (x: nn.Tensor) => nn.div(2, x)]) {
      const r = gradCheck(() => f(a), [a]);
      expect(r.maxError, r.worst).toBeLessThan(TOL);
    }
  });
});
