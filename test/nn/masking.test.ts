/**
 * Masking: whatever is in the padded steps of a batch, the outputs at valid positions do not change, padded
 * inputs get exactly zero gradient, and a sequence gives the same result padded in a batch as alone.
 */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';

const B = 3, T = 6, F = 2;
const lengths = [6, 2, 4];

/** A batch whose padding is filled with `fill(i)` (finite), requiring grad. */
function paddedBatch(fill: (i: number) => number): { x: nn.Tensor; mask: nn.Tensor } {
  const rng = new nn.Rng(5);
  const mask = nn.sequenceMask(lengths, T);
  const data = new Float64Array(B * T * F);
  for (let i = 0; i < data.length; i++) data[i] = mask.data[Math.floor(i / F)] === 1 ? rng.normal() : fill(i);
  return { x: new nn.Tensor(data, [B, T, F], true), mask };
}

/** Runs `f` on two batches that differ only in padding; checks equal outputs and zero gradient at padding. */
function expectPaddingIgnored(f: (x: nn.Tensor, mask: nn.Tensor) => nn.Tensor): void {
  const a = paddedBatch(() => 0);
  const b = paddedBatch((i) => 100 * Math.sin(i) + 7);
  const ya = f(a.x, a.mask);
  const yb = f(b.x, b.mask);
  expect(Array.from(yb.data)).toEqual(Array.from(ya.data));
  nn.backward(yb, Float64Array.from({ length: yb.size }, (_, i) => 1 + Math.cos(i)));
  const g = b.x.grad!;
  let validGrad = 0;
  for (let i = 0; i < g.length; i++) {
    if (b.mask.data[Math.floor(i / F)] === 0) expect(g[i]).toBe(0);
    else validGrad += Math.abs(g[i]!);
  }
  expect(validGrad).toBeGreaterThan(0);
}

/** The sequence b of a batch, alone (unpadded), as a batch of one. */
function alone(x: nn.Tensor, b: number): { x: nn.Tensor; mask: nn.Tensor } {
  const n = lengths[b]!;
  return { x: nn.tensor(x.data.slice(b * T * F, (b * T + n) * F), [1, n, F]), mask: nn.sequenceMask([n], n) };
}

describe('masking', () => {
  const rng = new nn.Rng(11);
  const gru = new nn.Gru({ inputSize: F, hiddenSize: 4 }, rng);
  const pool = new nn.AttentionPooling({ features: 4 }, rng);
  const conv = new nn.Conv1d({ inChannels: F, outChannels: 4, kernelSize: 3, padding: 'same' }, rng);
  const embed = new nn.Linear({ inFeatures: F, outFeatures: 4 }, rng);
  const block = new nn.TransformerBlock({ dModel: 4, heads: 2, ffHidden: 8 }, rng);

  it('GRU last state', () => expectPaddingIgnored((x, m) => gru.forward(x, m)));
  it('GRU states → attention pooling', () => expectPaddingIgnored((x, m) => pool.forward(gru.forwardSequence(x, m).sequence!, m)));
  it('Conv1d (same) → attention pooling', () => expectPaddingIgnored((x, m) => pool.forward(nn.gelu(conv.forward(x, m)), m)));
  it('Linear → transformer block → attention pooling', () => expectPaddingIgnored((x, m) => pool.forward(block.forward(embed.forward(x), m), m)));
  it('Conv1d (valid) with its output mask → attention pooling', () => {
    const valid = new nn.Conv1d({ inChannels: F, outChannels: 4, kernelSize: 2, padding: 'valid' }, rng);
    expectPaddingIgnored((x, m) => pool.forward(valid.forward(x, m), valid.outputMask(m)));
    expect(Array.from(valid.outputMask(nn.sequenceMask([3], 4)).data)).toEqual([1, 1, 0]);
  });

  it('a padded sequence gives the same result as the sequence alone', () => {
    const { x, mask } = paddedBatch((i) => Math.cos(i));
    const encoders: Array<(x: nn.Tensor, m: nn.Tensor) => nn.Tensor> = [
      (x, m) => gru.forward(x, m),
      (x, m) => pool.forward(gru.forwardSequence(x, m).sequence!, m),
      (x, m) => pool.forward(conv.forward(x, m), m),
      (x, m) => pool.forward(block.forward(embed.forward(x), m), m),
    ];
    for (const f of encoders) {
      const batched = f(x, mask);
      const w = batched.shape[1]!;
      for (let b = 0; b < B; b++) {
        const one = alone(x, b);
        const y = f(one.x, one.mask);
        for (let j = 0; j < w; j++) expect(Math.abs(y.data[j]! - batched.data[b * w + j]!)).toBeLessThan(1e-14);
      }
    }
  });

  it('attention weights are zero on padding and sum to one over valid steps; an empty sequence pools to 0', () => {
    const { x, mask } = paddedBatch(() => 3);
    const alpha = pool.weights(gru.forwardSequence(x, mask).sequence!, mask);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let t = 0; t < T; t++) {
        const a = alpha.data[b * T + t]!;
        if (t >= lengths[b]!) expect(a).toBe(0);
        s += a;
      }
      expect(s).toBeCloseTo(1, 14);
    }
    const empty = pool.forward(nn.full([1, 3, 4], 2), nn.sequenceMask([0], 3));
    expect(Array.from(empty.data)).toEqual([0, 0, 0, 0]);
  });
});
