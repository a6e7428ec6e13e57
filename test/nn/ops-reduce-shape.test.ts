/** Reductions and shape ops: values and gradients. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';
import { gradCheck, randomLeaf } from './gradcheck.js';

const TOL = 1e-6;
const check = (f: () => nn.Tensor, inputs: nn.Tensor[]): void => {
  const r = gradCheck(f, inputs);
  expect(r.maxError, r.worst).toBeLessThan(TOL);
};

describe('sum and mean', () => {
  const a = nn.tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
  it('reduce one axis or all, with keepDims', () => {
    expect(Array.from(nn.sum(a, 1).data)).toEqual([9, 12, 27, 30]);
    expect(nn.sum(a, 1).shape).toEqual([2, 2]);
    expect(nn.sum(a, -1, true).shape).toEqual([2, 3, 1]);
    expect(Array.from(nn.sum(a, 0).data)).toEqual([8, 10, 12, 14, 16, 18]);
    expect(nn.sum(a).item()).toBe(78);
    expect(nn.sum(a).shape).toEqual([]);
    expect(nn.mean(a).item()).toBe(6.5);
    expect(Array.from(nn.mean(a, 2).data)).toEqual([1.5, 3.5, 5.5, 7.5, 9.5, 11.5]);
  });
  it('gradients', () => {
    const x = randomLeaf([2, 3, 4], 5);
    for (const axis of [0, 1, 2, -1]) {
      check(() => nn.sum(x, axis), [x]);
      check(() => nn.mean(x, axis, true), [x]);
    }
    check(() => nn.mean(x), [x]);
  });
});

describe('shape ops', () => {
  it('reshape (with −1) shares data and passes gradients', () => {
    const x = randomLeaf([2, 6], 1);
    const y = nn.reshape(x, [3, -1]);
    expect(y.shape).toEqual([3, 4]);
    expect(y.data).toBe(x.data);
    check(() => nn.square(nn.reshape(x, [4, 3])), [x]);
    expect(() => nn.reshape(x, [5, 2])).toThrow(/cannot view/);
  });

  it('transpose and permute', () => {
    const a = nn.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(nn.transpose(a).data)).toEqual([1, 4, 2, 5, 3, 6]);
    const x = randomLeaf([2, 3, 4], 2);
    const p = nn.permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    // p[k, i, j] = x[i, j, k]
    expect(p.data[(3 * 2 + 1) * 3 + 2]).toBe(x.data[(1 * 3 + 2) * 4 + 3]);
    check(() => nn.permute(x, [2, 0, 1]), [x]);
    check(() => nn.transpose(x, 0, 2), [x]);
  });

  it('concat and stack', () => {
    const a = nn.tensor([[1, 2], [3, 4]]);
    const b = nn.tensor([[5], [6]]);
    expect(Array.from(nn.concat([a, b], 1).data)).toEqual([1, 2, 5, 3, 4, 6]);
    expect(Array.from(nn.concat([a, nn.tensor([[7, 8]])], 0).data)).toEqual([1, 2, 3, 4, 7, 8]);
    expect(nn.stack([a, a], 1).shape).toEqual([2, 2, 2]);
    expect(Array.from(nn.stack([a, a], 1).data)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    const x = randomLeaf([2, 3, 2], 3);
    const y = randomLeaf([2, 1, 2], 4);
    check(() => nn.concat([x, y, x], 1), [x, y]);
    check(() => nn.stack([x, nn.square(x)], -1), [x]);
    expect(() => nn.concat([a, nn.tensor([[1, 2, 3]])], 0)).toThrow(/differ off axis/);
  });

  it('slice and gather (repeated indices sum their gradients)', () => {
    const a = nn.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect(Array.from(nn.slice(a, 1, 1, 3).data)).toEqual([2, 3, 6, 7]);
    expect(Array.from(nn.gather(a, 1, [3, 0, 3]).data)).toEqual([4, 1, 4, 8, 5, 8]);
    expect(Array.from(nn.gather(a, 0, [1]).data)).toEqual([5, 6, 7, 8]);
    const x = randomLeaf([3, 4, 2], 6);
    check(() => nn.slice(x, 1, 1, 3), [x]);
    check(() => nn.slice(x, 0, 2, 3), [x]);
    check(() => nn.gather(x, 1, [0, 2, 2, 3]), [x]);
    const g = nn.tensor([1, 2, 3], [3], true);
    nn.backward(nn.sum(nn.gather(g, 0, [2, 2, 0])));
    expect(Array.from(g.grad!)).toEqual([1, 0, 2]);
    expect(() => nn.gather(a, 1, [4])).toThrow(/outside axis/);
  });
});
