/**
 * The calibration metric: each subject's 90 % interval of an individual parameter under q(η | Y_i), by draws of
 * η = μ + L f(ε) from the encoder's output (f the flow's layers, the identity for the Gaussian families; L = 0 for
 * the autoencoder, whose interval is a point), pushed through the model's individual-parameter map, and the
 * fraction of subjects whose simulated true value lies inside it (nominal 0.90).
 */
import { choleskyFactor, lowerCount } from '../../runtime/infer/elbo.js';
import { headLayout, type Encoder } from '../../runtime/infer/encoder.js';
import type { FitContext } from '../../runtime/infer/fit-context.js';
import { flowForward } from '../../runtime/infer/flow.js';
import { unpack } from '../../runtime/infer/population.js';
import { noGrad } from '../../runtime/nn/index.js';
import { mulberry32 } from './simulate.js';

const DRAWS = 2000;
const normal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

/** The 5 % and 95 % quantiles of each named individual parameter, per subject (indices into the model's parameters). */
export function intervals90(ctx: FitContext, encoder: Encoder, population: Float64Array, parameters: readonly number[]): { lo: number; hi: number }[][] {
  const { neta, np } = ctx.model.dims;
  const S = ctx.data.nSubjects;
  const out = noGrad(() => encoder.forward(ctx.inputs, Array.from({ length: S }, (_, i) => i))).data;
  const { lower: nl, flow: nf } = headLayout(neta, encoder.config.posterior);
  const width = 2 * neta + nl + nf;
  const { phi } = unpack(ctx.layout, population);
  const u = mulberry32(90);
  const eps = new Float64Array(neta);
  const eta = new Float64Array(neta);
  const p = new Float64Array(np);
  return Array.from({ length: S }, (_, i) => {
    const base = i * width;
    const L = choleskyFactor(out, nl > 0 ? out : undefined, neta, base + neta, base + 2 * neta);
    const values = parameters.map(() => new Float64Array(DRAWS));
    for (let d = 0; d < DRAWS; d++) {
      for (let k = 0; k < neta; k++) eps[k] = normal(u);
      const z = nf > 0 ? flowForward(eps, out, base + 2 * neta + lowerCount(neta), neta).out : eps;
      for (let k = 0; k < neta; k++) {
        let v = out[base + k]!;
        for (let j = 0; j <= k; j++) v += L[k * neta + j]! * z[j]!;
        eta[k] = v;
      }
      ctx.model.ts.individual(phi, eta, ctx.covariates[i]!, p);
      parameters.forEach((k, m) => (values[m]![d] = p[k]!));
    }
    return values.map((v) => {
      v.sort();
      return { lo: v[Math.floor(0.05 * DRAWS)]!, hi: v[Math.ceil(0.95 * DRAWS) - 1]! };
    });
  });
}
