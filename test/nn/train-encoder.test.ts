/**
 * End to end: a tiny GRU → attention-pooling → MLP encoder, trained by Adam (with global-norm clipping and a
 * cosine schedule), learns a simple function of variable-length sequences, and generalizes to new ones.
 *
 * Each sequence has 3–8 steps of (value v_t, time t/8). Targets: the mean of v over the valid steps, and the
 * last valid value.
 */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';

const T = 8;

function dataset(n: number, rng: nn.Rng): { x: nn.Tensor; mask: nn.Tensor; y: nn.Tensor } {
  const seqs: Float64Array[] = [];
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const len = 3 + rng.int(T - 2);
    const s = new Float64Array(len * 2);
    let sum = 0;
    for (let t = 0; t < len; t++) {
      const v = rng.normal();
      s[2 * t] = v;
      s[2 * t + 1] = (t + 1) / T;
      sum += v;
    }
    y[2 * i] = sum / len;
    y[2 * i + 1] = s[2 * (len - 1)]!;
    seqs.push(s);
  }
  const { x, mask } = nn.padSequences(seqs, 2, T);
  return { x, mask, y: new nn.Tensor(y, [n, 2]) };
}

class Encoder extends nn.Module {
  readonly gru: nn.Gru;
  readonly pool: nn.AttentionPooling;
  readonly head: nn.Sequential;
  constructor(rng: nn.Rng) {
    super();
    this.gru = this.addModule('gru', new nn.Gru({ inputSize: 2, hiddenSize: 12 }, rng));
    this.pool = this.addModule('pool', new nn.AttentionPooling({ features: 12 }, rng));
    this.head = this.addModule(
      'head',
      new nn.Sequential([
        new nn.Linear({ inFeatures: 24, outFeatures: 16 }, rng),
        new nn.Activation({ name: 'gelu' }),
        new nn.Linear({ inFeatures: 16, outFeatures: 2, init: { normalStd: 1e-3 } }, rng),
      ]),
    );
  }
  forward(x: nn.Tensor, mask: nn.Tensor): nn.Tensor {
    const { last, sequence } = this.gru.forwardSequence(x, mask);
    return this.head.forward(nn.concat([last, this.pool.forward(sequence!, mask)], 1));
  }
}

const mse = (p: nn.Tensor, y: nn.Tensor): nn.Tensor => nn.mean(nn.square(nn.sub(p, y)));

describe('training an encoder end to end', () => {
  it('GRU + attention pooling regresses mean and last value of variable-length sequences', () => {
    const rng = new nn.Rng(2024);
    const train = dataset(96, rng);
    const test = dataset(64, rng);
    const model = new Encoder(rng);
    const params = model.parameters();
    const steps = 400;
    const adam = new nn.Adam(params, { lr: 0.02 });
    const schedule = nn.cosineAnnealing({ lr: 0.02, steps, minLr: 1e-3 });
    const baseline = nn.noGrad(() => mse(model.forward(test.x, test.mask), test.y).item());
    let loss = Infinity;
    for (let step = 0; step < steps; step++) {
      adam.lr = schedule(step);
      adam.zeroGrad();
      const l = mse(model.forward(train.x, train.mask), train.y);
      loss = l.item();
      nn.backward(l);
      nn.clipGradNorm(params, 1);
      adam.step();
    }
    const testLoss = nn.noGrad(() => mse(model.forward(test.x, test.mask), test.y).item());
    // The targets have variance ≈ 0.6; the untrained output is ≈ 0.
    expect(baseline).toBeGreaterThan(0.3);
    expect(loss).toBeLessThan(0.002);
    expect(testLoss).toBeLessThan(0.01);
  });
});
