/** Matrix products: values against a naive triple loop, gradients against finite differences. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';
import { gradCheck, randomLeaf } from './gradcheck.js';

function naive(a: nn.Tensor, b: nn.Tensor): number[] {
  const k = a.shape[a.rank - 1]!;
  const n = b.shape[b.rank - 1]!;
  const m = a.shape[a.rank - 2]!;
  const batch = a.size / (m * k);
  const out: number[] = [];
  for (let s = 0; s < batch; s++) {
    const bo = b.rank === 2 ? 0 : s * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a.data[s * m * k + i * k + p]! * b.data[bo + p * n + j]!;
        out.push(acc);
      }
    }
  }
  return out;
}

describe('matmul', () => {
  const cases: Array<[string, number[], number[], number[]]> = [
    ['2-D', [3, 4], [4, 5], [3, 5]],
    ['2-D, blocked rows and columns with remainders', [9, 7], [7, 6], [9, 6]],
    ['shared weight on a 3-D input', [2, 3, 4], [4, 2], [2, 3, 2]],
    ['batched 3-D', [2, 5, 6], [2, 6, 5], [2, 5, 5]],
    ['batched 4-D (heads)', [2, 2, 3, 2], [2, 2, 2, 3], [2, 2, 3, 3]],
  ];
  for (const [label, sa, sb, so] of cases) {
    it(`${label}: values and gradients`, () => {
      const a = randomLeaf(sa, 1);
      const b = randomLeaf(sb, 2);
      const y = nn.matmul(a, b);
      expect(y.shape).toEqual(so);
      const ref = naive(a, b);
      y.data.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 14));
      const r = gradCheck(() => nn.matmul(a, b), [a, b]);
      expect(r.maxError, r.worst).toBeLessThan(1e-6);
    });
  }

  it('rejects mismatched shapes with both shapes in the message', () => {
    expect(() => nn.matmul(nn.zeros([2, 3]), nn.zeros([4, 2]))).toThrow(/\[2, 3\] · \[4, 2\]/);
    expect(() => nn.matmul(nn.zeros([2, 2, 3]), nn.zeros([3, 3, 2]))).toThrow(/batch axes/);
  });
});
