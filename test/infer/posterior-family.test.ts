/**
 * The posterior family through training, fit.json and --resume, on theophylline (three random effects): a
 * full-rank fit trains (also with the importance-weighted bound), its fit file records the family and restores an
 * encoder of the same shape, posteriors() gives μ, the marginal sds and the Cholesky factor, resuming continues
 * the same fit and refuses another family, and a fit file from before the family existed reads as diagonal.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { Encoder, type EncoderConfig } from '../../runtime/infer/encoder.js';
import { fitContext } from '../../runtime/infer/fit-context.js';
import { fitFile, fitObjective, parseFitFile } from '../../runtime/infer/fit-file.js';
import { initialVector } from '../../runtime/infer/population.js';
import { posteriors } from '../../runtime/infer/posterior.js';
import { defaultTrainOptions, train, type TrainOptions, type TrainState } from '../../runtime/infer/train.js';
import { loadParameters, noGrad } from '../../runtime/nn/index.js';

const source = readFileSync(new URL('../../examples/theophylline/theophylline.nlm', import.meta.url), 'utf8');
const dataText = readFileSync(new URL('../../examples/theophylline/data.csv', import.meta.url), 'utf8');
const compiled = compile(source);
const dataset = readDataset(dataText, 'data.csv', requirementsFromIr(compiled.ir!)).dataset!;

async function setup() {
  const ctx = await fitContext(compiled, dataset);
  const engine = createCpuEngine(ctx.model, ctx.data, { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000 });
  const config: EncoderConfig = { kind: 'gru', stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: ctx.model.dims.neta, hidden: 8, seed: 2 };
  return { ctx, engine, config };
}

const meanElbo = (trace: TrainState['trace'], from: number, to: number): number => trace.slice(from, to).reduce((s, r) => s + r.elbo, 0) / (to - from);

describe('posterior family: training, fit.json, resume', () => {
  for (const K of [1, 4]) {
    it(`full rank, ${K === 1 ? 'ELBO' : `IWAE (K = ${K})`}: the objective rises and the off-diagonal of L trains`, async () => {
      const { ctx, engine, config } = await setup();
      const options: TrainOptions = { ...defaultTrainOptions, posterior: 'fullrank', iwSamples: K, samples: K === 1 ? 4 : 1, maxEpochs: 40, patience: 1000 };
      const result = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initialVector(ctx.layout), options);
      expect(result.state.trace).toHaveLength(40);
      expect(meanElbo(result.state.trace, 37, 40)).toBeGreaterThan(meanElbo(result.state.trace, 0, 3));
      expect(result.state.encoderConfig.posterior).toBe('fullrank');
      const out = noGrad(() => result.encoder.forward(ctx.inputs, [0, 1]));
      expect(out.shape).toEqual([2, 9]);
      // U's strict lower entries (outputs 6–8) have moved away from their initial ≈ 0.
      expect(Math.max(...Array.from(out.data.slice(6, 9), Math.abs))).toBeGreaterThan(1e-3);
    });
  }

  it('fit.json stores the family; the restored encoder gives the same q; posteriors() has the Cholesky factor; resume continues it', async () => {
    const { ctx, engine, config } = await setup();
    const options: TrainOptions = { ...defaultTrainOptions, posterior: 'fullrank', maxEpochs: 6, samples: 2, patience: 1000 };
    const first = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initialVector(ctx.layout), options);
    const file = fitFile({
      complete: true, stop: first.stop, message: first.message, modelName: 'theophylline', source, dataFile: 'data.csv', dataText, backend: 'cpu',
      options, state: first.state, scaling: ctx.scaling, names: ctx.layout.entries.map((e) => e.name),
    });
    const read = parseFitFile(JSON.stringify(file), 'fit.json');
    expect(fitObjective(read)).toEqual({ posterior: 'fullrank', iwSamples: 1 });
    const restored = new Encoder(read.encoderConfig, ctx.layout.omega0);
    loadParameters(restored, read.encoder);
    const population = Float64Array.from(read.population.values);
    const a = await posteriors(ctx, first.encoder, population);
    const b = await posteriors(ctx, restored, population);
    const neta = 3;
    for (let i = 0; i < a.subjects.length; i++) {
      const s = b.subjects[i]!;
      expect(Array.from(s.mu)).toEqual(Array.from(a.subjects[i]!.mu));
      expect(s.chol).toBeDefined();
      const L = s.chol!;
      expect(L).toHaveLength(neta * neta);
      for (let r = 0; r < neta; r++) {
        for (let c = r + 1; c < neta; c++) expect(L[r * neta + c]).toBe(0);
        expect(L[r * neta + r]!).toBeGreaterThan(0);
        let v = 0;
        for (let c = 0; c <= r; c++) v += L[r * neta + c]! ** 2;
        expect(s.sd[r]).toBeCloseTo(Math.sqrt(v), 14);
      }
      // The factor is the encoder's output: L = diag(exp(log σ)) (I + U), U's strict lower entries as emitted.
      const out = noGrad(() => restored.forward(ctx.inputs, [i])).data;
      for (let r = 0; r < neta; r++) expect(L[r * neta + r]).toBeCloseTo(Math.exp(out[3 + r]!), 14);
      expect(L[1 * neta + 0]).toBeCloseTo(Math.exp(out[4]!) * out[6]!, 14);
      expect(L[2 * neta + 0]).toBeCloseTo(Math.exp(out[5]!) * out[7]!, 14);
      expect(L[2 * neta + 1]).toBeCloseTo(Math.exp(out[5]!) * out[8]!, 14);
    }

    // Resume from the file's state: epochs continue; another family is refused.
    const resume: TrainState = {
      encoderConfig: read.encoderConfig, encoder: read.encoder, population: [...read.population.values], epoch: read.state.epoch,
      learningRate: read.state.learningRate, validationSubjects: [...read.state.validationSubjects],
      trace: read.trace.map((r) => ({ ...r, population: Float64Array.from(r.population), failedRows: 0 })),
    };
    const more = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initialVector(ctx.layout), { ...options, maxEpochs: 9 }, {}, resume);
    expect(more.state.epoch).toBe(9);
    expect(more.state.trace).toHaveLength(9);
    await expect(train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initialVector(ctx.layout), { ...options, posterior: 'diagonal', maxEpochs: 9 }, {}, resume)).rejects.toThrow(/fullrank posterior family/);
  });

  it('a fit file written before the family existed reads as diagonal / ELBO, and its posteriors have no Cholesky factor', async () => {
    const { ctx, engine, config } = await setup();
    const old: TrainOptions = { ...defaultTrainOptions, posterior: 'diagonal', maxEpochs: 2, samples: 2 };
    const first = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initialVector(ctx.layout), old);
    const file = fitFile({
      complete: true, stop: first.stop, message: first.message, modelName: 'theophylline', source, dataFile: 'data.csv', dataText, backend: 'cpu',
      options: old, state: first.state, scaling: ctx.scaling, names: ctx.layout.entries.map((e) => e.name),
    });
    const written = JSON.parse(JSON.stringify(file));
    delete written.encoderConfig.posterior;
    delete written.options.posterior;
    delete written.options.iwSamples;
    const read = parseFitFile(JSON.stringify(written), 'fit.json');
    expect(fitObjective(read)).toEqual({ posterior: 'diagonal', iwSamples: 1 });
    const encoder = new Encoder(read.encoderConfig, ctx.layout.omega0);
    loadParameters(encoder, read.encoder);
    const post = await posteriors(ctx, encoder, Float64Array.from(read.population.values));
    expect(post.subjects[0]!.chol).toBeUndefined();
    expect(post.subjects[0]!.sd).toHaveLength(3);
    expect(() => parseFitFile(JSON.stringify({ ...written, encoderConfig: { ...written.encoderConfig, posterior: 'full' } }), 'fit.json')).toThrow(/unknown posterior family/);
  });
});
