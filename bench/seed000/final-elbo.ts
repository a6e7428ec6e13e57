/**
 * The ELBO per subject at the end of training, evaluated afresh with many draws (the training trace's values use 8
 * draws of a moving state, and one bad draw under a proportional error model can dominate an epoch's mean): the
 * encoder's output decoded as the training loop decodes it (runtime/infer/train.ts), then evaluateElbo; for the
 * autoencoder its own objective, the reconstruction log-likelihood log p(Y | η = μ).
 */
import type { Engine } from '../../runtime/engine/engine.js';
import { evaluateAutoencoderLoss } from '../../runtime/infer/autoencoder-loss.js';
import { evaluateElbo } from '../../runtime/infer/elbo.js';
import { headLayout, type Encoder } from '../../runtime/infer/encoder.js';
import type { FitContext } from '../../runtime/infer/fit-context.js';
import { noGrad } from '../../runtime/nn/index.js';
import { mulberry32 } from './simulate.js';

const normal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

export async function finalElbo(ctx: FitContext, engine: Engine, encoder: Encoder, population: Float64Array, draws: number): Promise<number> {
  const neta = ctx.model.dims.neta;
  const S = ctx.data.nSubjects;
  const subjects = Array.from({ length: S }, (_, i) => i);
  const family = encoder.config.posterior;
  const out = noGrad(() => encoder.forward(ctx.inputs, subjects)).data;
  const { lower: nl, flow: nf } = headLayout(neta, family);
  const width = 2 * neta + nl + nf;
  const slice = (from: number, count: number) => Float64Array.from({ length: S * count }, (_, n) => out[Math.floor(n / count) * width + from + (n % count)]!);
  const mu = slice(0, neta);
  if (family === 'autoencoder') return (await evaluateAutoencoderLoss(ctx.model, engine, ctx.layout, population, { subjects, covariates: ctx.covariates, mu })).elbo / S;
  const u = mulberry32(64);
  const eps = Float64Array.from({ length: S * draws * neta }, () => normal(u));
  const result = await evaluateElbo(ctx.model, engine, ctx.layout, population, {
    subjects, covariates: ctx.covariates, mu, logSigma: slice(neta, neta), eps, samples: draws,
    ...(nl > 0 ? { lower: slice(2 * neta, nl) } : {}), ...(nf > 0 ? { flow: slice(2 * neta + nl, nf) } : {}),
  });
  return result.elbo / S;
}
