/** Parameters to JSON text and back: exact values, identical outputs, and clear errors on a mismatch. */
import { describe, expect, it } from 'vitest';
import * as nn from '../../runtime/nn/index.js';

class Encoder extends nn.Module {
  readonly gru: nn.Gru;
  readonly pool: nn.AttentionPooling;
  readonly head: nn.Sequential;
  constructor(readonly config: { features: number; hidden: number; latent: number }, rng: nn.Rng) {
    super();
    this.gru = this.addModule('gru', new nn.Gru({ inputSize: config.features, hiddenSize: config.hidden }, rng));
    this.pool = this.addModule('pool', new nn.AttentionPooling({ features: config.hidden }, rng));
    this.head = this.addModule(
      'head',
      new nn.Sequential([
        new nn.Linear({ inFeatures: config.hidden, outFeatures: 4 }, rng),
        new nn.Activation({ name: 'gelu' }),
        new nn.Linear({ inFeatures: 4, outFeatures: 2 * config.latent, init: { normalStd: 1e-3 } }, rng),
      ]),
    );
  }
  forward(x: nn.Tensor, mask: nn.Tensor): nn.Tensor {
    return this.head.forward(this.pool.forward(this.gru.forwardSequence(x, mask).sequence!, mask));
  }
}

describe('parameter JSON', () => {
  const config = { features: 3, hidden: 5, latent: 2 };
  const { x, mask } = nn.padSequences([Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6), Float64Array.of(-1, 0.5, 2)], 3);

  it('round-trips exactly through JSON text', () => {
    const a = new Encoder(config, new nn.Rng(1));
    // Make the values awkward for decimal printing.
    for (const p of a.parameters()) p.data.forEach((v, i) => (p.data[i] = v + Math.PI * 1e-17 * (i + 1) + 1 / 3));
    const text = JSON.stringify({ config: a.config, parameters: nn.saveParameters(a) });
    const parsed = JSON.parse(text) as { config: typeof config; parameters: nn.ParameterState };
    const b = new Encoder(parsed.config, new nn.Rng(999));
    nn.loadParameters(b, parsed.parameters);
    expect(b.namedParameters().map(([n]) => n)).toEqual(a.namedParameters().map(([n]) => n));
    b.parameters().forEach((p, q) => expect(Array.from(p.data)).toEqual(Array.from(a.parameters()[q]!.data)));
    expect(Array.from(b.forward(x, mask).data)).toEqual(Array.from(a.forward(x, mask).data));
    expect(Object.keys(parsed.parameters.parameters)).toContain('head.2.weight');
  });

  it('loads in place, so an optimizer over the parameters stays attached', () => {
    const a = new Encoder(config, new nn.Rng(1));
    const b = new Encoder(config, new nn.Rng(2));
    const before = b.parameters();
    nn.loadParameters(b, nn.saveParameters(a));
    b.parameters().forEach((p, q) => expect(p).toBe(before[q]));
  });

  it('lists every mismatch in one error', () => {
    const a = new Encoder(config, new nn.Rng(1));
    const other = new Encoder({ ...config, hidden: 6 }, new nn.Rng(1));
    const state = nn.saveParameters(other);
    expect(() => nn.loadParameters(a, state)).toThrow(/'gru\.wx' has shape \[3, 18\] in the file, \[3, 15\] in the model/);
    const missing = { ...state, parameters: { ...nn.saveParameters(a).parameters } };
    delete (missing.parameters as Record<string, unknown>)['pool.query'];
    expect(() => nn.loadParameters(a, missing)).toThrow(/missing parameter 'pool\.query'/);
    expect(() => nn.loadParameters(a, { format: 'x' } as unknown as nn.ParameterState)).toThrow(/expected format/);
  });

  it('refuses to save non-finite values', () => {
    const a = new Encoder(config, new nn.Rng(1));
    a.gru.wh.data[3] = NaN;
    expect(() => nn.saveParameters(a)).toThrow(/gru\.wh\[3\] is NaN/);
  });
});
