/**
 * Every layer's gradient (with respect to its input and every parameter) against finite differences, the fused
 * GRU step against its composition from element-wise ops, and the initializers' basic properties.
 */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';
import { gradCheck, randomLeaf } from './gradcheck.js';

const TOL = 1e-6;

function check(f: () => nn.Tensor, inputs: nn.Tensor[]): void {
  const r = gradCheck(f, inputs);
  expect(r.maxError, r.worst).toBeLessThan(TOL);
  expect(r.checked).toBe(inputs.reduce((n, t) => n + t.size, 0));
}

/** A padded batch of 3 sequences (lengths 4, 2, 3) of F features, with requiresGrad. */
function batch(F: number, seed: number): { x: nn.Tensor; mask: nn.Tensor } {
  const x = randomLeaf([3, 4, F], seed);
  const mask = nn.sequenceMask([4, 2, 3], 4);
  return { x, mask };
}

describe('layer gradients', () => {
  it('Linear (on a 3-D input) and the small-std init', () => {
    const rng = new nn.Rng(1);
    const lin = new nn.Linear({ inFeatures: 3, outFeatures: 2 }, rng);
    const x = randomLeaf([2, 4, 3], 2);
    check(() => lin.forward(x), [x, ...lin.parameters()]);
    const small = new nn.Linear({ inFeatures: 64, outFeatures: 64, init: { normalStd: 1e-3 } }, rng);
    const w = Array.from(small.weight.data);
    const sd = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(sd).toBeGreaterThan(0.9e-3);
    expect(sd).toBeLessThan(1.1e-3);
    expect(new nn.Linear({ inFeatures: 3, outFeatures: 2, bias: false }, rng).parameters().length).toBe(1);
  });

  it('Sequential with every activation', () => {
    const rng = new nn.Rng(2);
    const names: nn.ActivationName[] = ['gelu', 'tanh', 'sigmoid', 'softplus', 'identity'];
    const layers = names.flatMap((name) => [new nn.Linear({ inFeatures: 3, outFeatures: 3 }, rng), new nn.Activation({ name })]);
    const net = new nn.Sequential(layers);
    const x = randomLeaf([4, 3], 3);
    check(() => net.forward(x), [x, ...net.parameters()]);
    expect(net.namedParameters().map(([n]) => n).slice(0, 3)).toEqual(['0.weight', '0.bias', '2.weight']);
  });

  it('LayerNorm', () => {
    const ln = new nn.LayerNorm({ features: 5 });
    ln.gamma.data.set([0.5, 1, 1.5, 2, -1]);
    ln.beta.data.set([0.1, 0.2, 0.3, 0.4, 0.5]);
    const x = randomLeaf([2, 3, 5], 4, -2, 2);
    check(() => ln.forward(x), [x, ...ln.parameters()]);
  });

  it('Conv1d, valid and same padding, with a mask', () => {
    const rng = new nn.Rng(3);
    for (const padding of ['valid', 'same'] as const) {
      for (const kernelSize of [1, 3]) {
        const conv = new nn.Conv1d({ inChannels: 2, outChannels: 3, kernelSize, padding }, rng);
        const { x, mask } = batch(2, 5);
        const y = conv.forward(x, mask);
        expect(y.shape).toEqual([3, padding === 'same' ? 4 : 5 - kernelSize, 3]);
        check(() => conv.forward(x, mask), [x, ...conv.parameters()]);
      }
    }
  });

  it('GRU: last state and all states, with and without a mask', () => {
    const rng = new nn.Rng(4);
    const gru = new nn.Gru({ inputSize: 2, hiddenSize: 3 }, rng);
    // Non-zero biases so their gradients are exercised away from the symmetric start.
    for (const b of [gru.bx, gru.bh]) b.data.forEach((_, i) => (b.data[i] = 0.3 * Math.sin(i + 1)));
    const { x, mask } = batch(2, 6);
    check(() => gru.forward(x, mask), [x, ...gru.parameters()]);
    check(() => gru.forwardSequence(x, mask).sequence!, [x, ...gru.parameters()]);
    check(() => gru.forward(x), [x, ...gru.parameters()]);
    const h0 = randomLeaf([3, 3], 7);
    check(() => gru.forward(x, mask, h0), [h0]);
  });

  it('attention pooling', () => {
    const pool = new nn.AttentionPooling({ features: 3 }, new nn.Rng(5));
    const { x, mask } = batch(3, 8);
    check(() => pool.forward(x, mask), [x, ...pool.parameters()]);
    check(() => pool.forward(x), [x, ...pool.parameters()]);
  });

  it('multi-head attention and transformer blocks (pre- and post-norm)', () => {
    const rng = new nn.Rng(6);
    const mha = new nn.MultiHeadAttention({ dModel: 4, heads: 2 }, rng);
    const { x, mask } = batch(4, 9);
    check(() => mha.forward(x, mask), [x, ...mha.parameters()]);
    for (const norm of ['pre', 'post'] as const) {
      const block = new nn.TransformerBlock({ dModel: 4, heads: 2, ffHidden: 6, norm }, rng);
      check(() => block.forward(x, mask), [x, ...block.parameters()]);
    }
  });
});

describe('fused GRU step', () => {
  /** The same step from element-wise ops: the reference the fused op must reproduce. */
  function composed(xt: nn.Tensor, hp: nn.Tensor, h: nn.Tensor, m: nn.Tensor, H: number): nn.Tensor {
    const r = nn.sigmoid(nn.add(nn.slice(xt, 1, 0, H), nn.slice(hp, 1, 0, H)));
    const z = nn.sigmoid(nn.add(nn.slice(xt, 1, H, 2 * H), nn.slice(hp, 1, H, 2 * H)));
    const n = nn.tanh(nn.add(nn.slice(xt, 1, 2 * H, 3 * H), nn.mul(r, nn.slice(hp, 1, 2 * H, 3 * H))));
    const hNew = nn.add(nn.mul(nn.sub(1, z), n), nn.mul(z, h));
    return nn.add(h, nn.mul(m, nn.sub(hNew, h)));
  }

  it('equals the composition of element-wise ops, in value and gradient', () => {
    const B = 4, T = 3, H = 5, t = 1;
    const xp = randomLeaf([B, T, 3 * H], 1, -2, 2);
    const hp = randomLeaf([B, 3 * H], 2, -2, 2);
    const h = randomLeaf([B, H], 3);
    const mask = Float64Array.of(1, 0, 1, 1);
    const fused = nn.gruStep(xp, t, hp, h, mask);
    const xt = nn.reshape(nn.slice(xp, 1, t, t + 1), [B, 3 * H]);
    const ref = composed(xt, hp, h, nn.tensor(mask, [B, 1]), H);
    fused.data.forEach((v, i) => expect(Math.abs(v - ref.data[i]!)).toBeLessThan(1e-15));
    const seed = Float64Array.from({ length: B * H }, (_, i) => Math.cos(i));
    const grads = (y: nn.Tensor): Float64Array[] => {
      for (const p of [xp, hp, h]) p.zeroGrad();
      nn.backward(y, seed);
      return [xp, hp, h].map((p) => p.grad!.slice());
    };
    const gf = grads(nn.gruStep(xp, t, hp, h, mask));
    const gr = grads(composed(nn.reshape(nn.slice(xp, 1, t, t + 1), [B, 3 * H]), hp, h, nn.tensor(mask, [B, 1]), H));
    gf.forEach((g, q) => g.forEach((v, i) => expect(Math.abs(v - gr[q]![i]!)).toBeLessThan(1e-14)));
    check(() => nn.gruStep(xp, t, hp, h, mask), [xp, hp, h]);
  });
});

describe('initialization', () => {
  it('orthogonal blocks are orthogonal; Glorot stays within its bound', () => {
    const n = 7;
    const q = nn.orthogonal(new nn.Rng(1), n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += q[i * n + k]! * q[j * n + k]!;
      expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-14);
    }
    const g = nn.glorotUniform(new nn.Rng(2), 10, 20);
    const a = Math.sqrt(6 / 30);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(a);
  });

  it('the same seed gives the same network', () => {
    const make = (seed: number): number[] => new nn.Gru({ inputSize: 3, hiddenSize: 4 }, new nn.Rng(seed)).parameters().flatMap((p) => Array.from(p.data));
    expect(make(42)).toEqual(make(42));
    expect(make(42)).not.toEqual(make(43));
  });
});

describe('Dropout and modes', () => {
  it('zeros about p of the entries and rescales the rest in training; is the identity in eval', () => {
    const drop = new nn.Dropout({ p: 0.25 }, new nn.Rng(3));
    const x = nn.ones([200, 50], true);
    const y = drop.forward(x);
    const zeros = y.data.filter((v) => v === 0).length / y.size;
    expect(Math.abs(zeros - 0.25)).toBeLessThan(0.02);
    for (const v of y.data) expect(v === 0 || Math.abs(v - 4 / 3) < 1e-15).toBe(true);
    nn.backward(nn.sum(y));
    x.grad!.forEach((g, i) => expect(g).toBe(y.data[i]));
    const net = new nn.Sequential([new nn.Linear({ inFeatures: 2, outFeatures: 2 }, new nn.Rng(1)), drop]);
    net.eval();
    expect(drop.training).toBe(false);
    const z = nn.tensor([[1, 2]]);
    expect(Array.from(net.forward(z).data)).toEqual(Array.from(net.layers[0]!.forward(z).data));
    net.train();
    expect(drop.training).toBe(true);
    expect(net.parameterCount()).toBe(6);
    expect(() => new nn.Dropout({ p: 1 }, new nn.Rng(1))).toThrow(/p must be/);
  });
});
