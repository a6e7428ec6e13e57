/** Softmax with a mask, layer normalization and conv1d: values, edge cases and gradients. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';
import { gradCheck, randomLeaf } from './gradcheck.js';

const TOL = 1e-6;

describe('softmax', () => {
  it('rows sum to 1; huge logits do not overflow', () => {
    const y = nn.softmax(nn.tensor([[1000, 1001, 1002], [-1000, 0, 1000]]), -1);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0]! + e[1]! + 1;
    [0, 1, 2].forEach((j) => expect(y.data[j]).toBeCloseTo(e[j]! / s, 15));
    expect(Array.from(y.data.slice(3))).toEqual([0, 0, 1]);
  });

  it('masked entries get exactly 0; a fully masked row is all 0 (not NaN)', () => {
    const x = nn.tensor([[1, 2, 3], [4, 5, 6]]);
    const mask = nn.additiveMask(nn.tensor([[1, 1, 0], [0, 0, 0]]));
    const y = nn.softmax(x, -1, mask);
    expect(y.data[2]).toBe(0);
    expect(y.data[0]! + y.data[1]!).toBeCloseTo(1, 15);
    expect(Array.from(y.data.slice(3))).toEqual([0, 0, 0]);
  });

  it('gradient over any axis, with and without a broadcast mask', () => {
    const x = randomLeaf([2, 3, 4], 8, -2, 2);
    for (const axis of [0, 1, 2]) {
      const r = gradCheck(() => nn.softmax(x, axis), [x]);
      expect(r.maxError, r.worst).toBeLessThan(TOL);
    }
    const mask = nn.additiveMask(nn.tensor([[[1, 1, 0, 1]], [[1, 0, 0, 0]]])); // [2, 1, 4] → rows of x
    const r = gradCheck(() => nn.softmax(x, -1, mask), [x]);
    expect(r.maxError, r.worst).toBeLessThan(TOL);
    nn.backward(nn.sum(nn.square(nn.softmax(x, -1, mask))));
    // masked logits receive exactly zero gradient
    for (let i = 0; i < 3; i++) {
      expect(x.grad![i * 4 + 2]).toBe(0);
      expect(x.grad![12 + i * 4 + 1]).toBe(0);
    }
  });
});

describe('layer normalization', () => {
  it('normalizes rows to mean 0, variance 1/(1 + ε/σ²)', () => {
    const x = nn.tensor([[1, 2, 3, 4], [10, 10, 10, 14]]);
    const y = nn.normalizeLastAxis(x, 0);
    for (let r = 0; r < 2; r++) {
      const row = Array.from(y.data.slice(r * 4, r * 4 + 4));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 14);
      expect(row.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 14);
    }
  });
  it('gradients with γ and β', () => {
    const x = randomLeaf([3, 5], 2, -2, 2);
    const g = randomLeaf([5], 3, 0.5, 1.5);
    const b = randomLeaf([5], 4);
    const r = gradCheck(() => nn.layerNorm(x, g, b), [x, g, b]);
    expect(r.maxError, r.worst).toBeLessThan(TOL);
  });
});

describe('conv1d', () => {
  it('matches a direct sum, for valid and same padding', () => {
    const x = randomLeaf([2, 6, 3], 1);
    const w = randomLeaf([3, 3, 2], 2);
    for (const [pl, pr] of [[0, 0], [1, 1], [2, 0]] as const) {
      const y = nn.conv1d(x, w, pl, pr);
      const To = 6 + pl + pr - 2;
      expect(y.shape).toEqual([2, To, 2]);
      for (let b = 0; b < 2; b++) for (let t = 0; t < To; t++) for (let o = 0; o < 2; o++) {
        let acc = 0;
        for (let k = 0; k < 3; k++) {
          const s = t + k - pl;
          if (s < 0 || s >= 6) continue;
          for (let c = 0; c < 3; c++) acc += x.data[(b * 6 + s) * 3 + c]! * w.data[(k * 3 + c) * 2 + o]!;
        }
        expect(y.data[(b * To + t) * 2 + o]).toBeCloseTo(acc, 14);
      }
    }
  });
  it('gradients of input and kernel', () => {
    const x = randomLeaf([2, 5, 3], 3);
    const w = randomLeaf([3, 3, 4], 4);
    for (const [pl, pr] of [[0, 0], [1, 1]] as const) {
      const r = gradCheck(() => nn.conv1d(x, w, pl, pr), [x, w]);
      expect(r.maxError, r.worst).toBeLessThan(TOL);
    }
  });
});
