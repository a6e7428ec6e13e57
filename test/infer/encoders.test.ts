/**
 * Every encoder architecture trains: a few epochs on a small pk dataset raise the monitored ELBO, and the
 * encoder's output has the shape (subjects × 2·neta). The default choice follows the design (regular → conv,
 * irregular → gru).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import type { EncoderKind } from '../../runtime/infer/encoder.js';
import { fitContext } from '../../runtime/infer/fit-context.js';
import { initialVector } from '../../runtime/infer/population.js';
import { defaultTrainOptions, train } from '../../runtime/infer/train.js';

const compiled = compile(readFileSync(new URL('../../examples/pk/pk.nlm', import.meta.url), 'utf8'));
const text = readFileSync(new URL('../../examples/pk/data.csv', import.meta.url), 'utf8');
// The first 20 subjects keep the test fast.
const lines = text.trim().split('\n');
const small = [lines[0]!, ...lines.slice(1).filter((l) => Number(l.split(',')[0]) <= 20)].join('\n');
const dataset = readDataset(small, 'pk.csv', requirementsFromIr(compiled.ir!)).dataset!;

describe('encoders', () => {
  it('chooses gru for the jittered pk design', async () => {
    const ctx = await fitContext(compiled, dataset);
    expect(ctx.inputs.regular).toBe(false);
  });

  for (const kind of ['conv', 'gru', 'attention', 'transformer'] as EncoderKind[]) {
    it(`${kind}: trains (the ELBO rises over 30 epochs)`, async () => {
      const ctx = await fitContext(compiled, dataset);
      const engine = createCpuEngine(ctx.model, ctx.data, { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000 });
      const start = initialVector(ctx.layout).map((v, i) => v + (i === 0 ? 0.5 : 0));
      const result = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, {
        kind, stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: ctx.model.dims.neta, hidden: 8, seed: 3,
      }, start, { ...defaultTrainOptions, maxEpochs: 30, samples: 4, patience: 1000 });
      const trace = result.state.trace;
      expect(trace).toHaveLength(30);
      const early = trace.slice(0, 3).reduce((a, r) => a + r.elbo, 0) / 3;
      const late = trace.slice(-3).reduce((a, r) => a + r.elbo, 0) / 3;
      expect(late).toBeGreaterThan(early);
      const out = result.encoder.forward(ctx.inputs, [0, 1, 2]);
      expect(out.shape).toEqual([3, 2]);
    });
  }
});
