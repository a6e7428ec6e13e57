/**
 * Censored observations end to end in the engines: CENS/LIMIT from a CSV into EngineData (term codes and bounds),
 * the refusal of censored rows the model does not declare, the fused likelihood on the CPU against the terms
 * written out by hand and against finite differences, and the WebGPU kernel (f32) against the CPU (f64) on a
 * censored dataset that includes a prediction 26 sd above its LLOQ.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset } from '../../runtime/data/read-dataset.js';
import { requirementsFromIr } from '../../runtime/data/requirements.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { DATA_LAYOUT } from '../../runtime/engine/engine-data.js';
import type { Rows } from '../../runtime/engine/engine.js';
import { engineDataFromDataset } from '../../runtime/engine/from-dataset.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { logNormcdf } from '../../stdlib/special-functions.js';
import { ObservationCode } from '../../stdlib/observation-terms.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { prepareSource } from './engine-fixture.js';

const gpu = await useGpu();

/** One compartment, IV bolus; `modifier` goes after the observation. */
const model = (modifier: string, lhs = 'y', rhs = 'A / V'): string => `model onecpt
parameters {
  CL = 1 lognormal(omega = 0.3)
  V = 10 lognormal
}
states { A }
ode { d/dt A = -CL / V * A }
dosing { input iv -> A }
observe { ${lhs} ~ normal(${rhs}, sd = sigma) ${modifier} }
error { sigma = 0.5 }
`;

// Rows 2… (header = row 1). Subject 1: observed, then below the LLOQ 2 (row 5), between 0 and 2 (row 6).
// Subject 2: a row below 2 at t = 1, where the second row of parameters predicts 15.1, 26 sd above the LLOQ.
const csv = `ID,TIME,AMT,DV,EVID,CENS,LIMIT
1,0,100,.,1,.,.
1,1,.,9.2,0,0,.
1,8,.,4.3,0,0,.
1,24,.,2,0,1,.
1,30,.,2,0,1,0
2,0,100,.,1,.,.
2,1,.,2,0,1,.
2,4,.,6.5,0,0,.
`;

function compiled(source: string) {
  const result = compile(source);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result;
}

function read(source: string, text = csv) {
  const ir = compiled(source).ir!;
  return { ir, read: readDataset(text, 'blq.csv', requirementsFromIr(ir)) };
}

describe('censored rows into the engine', () => {
  it('CENS = 1 is log Φ below DV, with LIMIT an interval; the codes and bounds reach EngineData', () => {
    const { ir, read: r } = read(model('censored(left)'));
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const { data, problems } = engineDataFromDataset(r.dataset!, ir);
    expect(problems).toEqual([]);
    const M = data!.maxObs;
    expect(Array.from(data!.obsCensoring.subarray(0, 4))).toEqual([ObservationCode.observed, ObservationCode.observed, ObservationCode.below, ObservationCode.between]);
    expect(data!.obsLimit[3]).toBe(0);
    expect(Number.isNaN(data!.obsLimit[2]!)).toBe(true);
    expect(Array.from(data!.obsCensoring.subarray(M, M + 2))).toEqual([ObservationCode.below, ObservationCode.observed]);
  });

  it('on a log-transformed output the LIMIT is transformed too, and LIMIT 0 (log 0 = −∞) is no bound', () => {
    const { ir, read: r } = read(model('censored(left)', 'log(y)', 'log(A / V)'));
    const { data, problems } = engineDataFromDataset(r.dataset!, ir);
    expect(problems).toEqual([]);
    expect(data!.obsCensoring[3]).toBe(ObservationCode.below);
    expect(data!.obs[3 * DATA_LAYOUT.obs.stride + DATA_LAYOUT.obs.value]).toBeCloseTo(Math.log(2), 14);
  });

  it('censored rows on an output without censored(...) are an error naming the rows, in the reader and in the conversion', () => {
    const { read: r } = read(model(''));
    const errors = r.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => i.row)).toEqual([5, 6, 8]);
    expect(errors[0]!.message).toMatch(/declares no censoring; add censored\(left\)/);
    // A dataset read for a model with censoring, converted for one without (e.g. the model file changed).
    const { read: withCensoring } = read(model('censored(left)'));
    const { data, problems } = engineDataFromDataset(withCensoring.dataset!, compiled(model('')).ir!);
    expect(data).toBeUndefined();
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^rows 5, 6: CENS marks the value censored, but output 'y' declares no censoring/),
      expect.stringMatching(/^row 8: CENS marks the value censored, but output 'y' declares no censoring/),
    ]);
    // censored(right) does not take CENS = 1 rows either.
    const right = engineDataFromDataset(withCensoring.dataset!, compiled(model('censored(right)')).ir!);
    expect(right.problems[0]!.message).toMatch(/declares censored\(right\), not the side these rows need/);
  });

  it('a LIMIT on the wrong side of DV is refused, naming the row', () => {
    const text = csv.replace('1,30,.,2,0,1,0', '1,30,.,2,0,1,3');
    const { ir, read: r } = read(model('censored(left)'), text);
    const { problems } = engineDataFromDataset(r.dataset!, ir);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^row 6: LIMIT 3 must be below DV/)]);
  });
});

describe('the censored likelihood in the engines', async () => {
  const source = model('censored(left)');
  const prepared = await prepareSource(source);
  const { ir, read: r } = read(source);
  const data = engineDataFromDataset(r.dataset!, ir).data!;
  const p = [[1.1, 9], [0.6, 6]];
  const rows: Rows = { subject: new Int32Array([0, 1]), p: Float64Array.from(p.flat()) };
  const e = Float64Array.from([0.5]);
  const tight = { rtol: 1e-10, atol: 1e-12, maxSteps: 100_000 };

  it('CPU: the sum of the terms written out by hand (Gaussian, log Φ, log(Φ(b) − Φ(a))), and FD gradients in p and e', async () => {
    const cpu = createCpuEngine(prepared, data, tight);
    const lik = await cpu.logLikelihood(rows, e);
    const C = (t: number, [CL, V]: number[]): number => (100 / V!) * Math.exp((-CL! / V!) * t);
    const gauss = (y: number, f: number, sd: number): number => -0.5 * Math.log(2 * Math.PI) - Math.log(sd) - 0.5 * ((y - f) / sd) ** 2;
    const sd = 0.5;
    const want0 = gauss(9.2, C(1, p[0]!), sd) + gauss(4.3, C(8, p[0]!), sd) + logNormcdf((2 - C(24, p[0]!)) / sd) + Math.log(0.5 * (1 + erfLike((2 - C(30, p[0]!)) / sd)) - 0.5 * (1 + erfLike((0 - C(30, p[0]!)) / sd)));
    const want1 = logNormcdf((2 - C(1, p[1]!)) / sd) + gauss(6.5, C(4, p[1]!), sd);
    expect(lik.status).toEqual(new Int32Array([TrajectoryStatus.Ok, TrajectoryStatus.Ok]));
    expect(lik.logLik[0]).toBeCloseTo(want0, 7);
    expect(lik.logLik[1]).toBeCloseTo(want1, 7);
    // Row 2's censored term is far in the tail: (2 − 15.1)/0.5 ≈ −26, log Φ ≈ −347 (Φ ≈ 1e-151); finite and smooth.
    expect(lik.logLik[1]!).toBeLessThan(-300);
    for (let r2 = 0; r2 < 2; r2++) {
      for (let k = 0; k < 2; k++) {
        const h = 1e-6 * p[r2]![k]!;
        const at = (d: number): Rows => ({ subject: new Int32Array([r2]), p: Float64Array.from(p[r2]!.map((v, q) => (q === k ? v + d : v))) });
        const fd = ((await cpu.logLikelihood(at(h), e)).logLik[0]! - (await cpu.logLikelihood(at(-h), e)).logLik[0]!) / (2 * h);
        expect(Math.abs(lik.dLogLikDp[r2 * 2 + k]! - fd), `row ${r2} ∂/∂p${k}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
      const one: Rows = { subject: new Int32Array([r2]), p: Float64Array.from(p[r2]!) };
      const h = 1e-7;
      const fdE = ((await cpu.logLikelihood(one, Float64Array.from([0.5 + h]))).logLik[0]! - (await cpu.logLikelihood(one, Float64Array.from([0.5 - h]))).logLik[0]!) / (2 * h);
      expect(Math.abs(lik.dLogLikDe[r2]! - fdE), `row ${r2} ∂/∂sigma`).toBeLessThan(1e-5 * Math.max(1, Math.abs(fdE)));
    }
  });

  it.skipIf(!gpu)('WebGPU (f32) agrees with the CPU (f64) on the censored likelihood and its gradients', async () => {
    const cpu = await createCpuEngine(prepared, data, tight).logLikelihood(rows, e);
    const engine = await createWebGpuEngine(prepared, data, { rtol: 1e-6, atol: 1e-9, maxSteps: 100_000 }, gpu!.device, gpu!.adapterInfo);
    const gpuLik = await engine.logLikelihood(rows, e);
    engine.dispose();
    expect(gpuLik.status).toEqual(cpu.status);
    for (let r2 = 0; r2 < 2; r2++) {
      expect(Math.abs(gpuLik.logLik[r2]! - cpu.logLik[r2]!), `row ${r2} ℓ`).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.logLik[r2]!)));
      for (let k = 0; k < 2; k++) expect(Math.abs(gpuLik.dLogLikDp[r2 * 2 + k]! - cpu.dLogLikDp[r2 * 2 + k]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.dLogLikDp[r2 * 2 + k]!)));
      expect(Math.abs(gpuLik.dLogLikDe[r2]! - cpu.dLogLikDe[r2]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.dLogLikDe[r2]!)));
    }
  });
});

/** erf(x/√2)·… written independently of stdlib: Φ(x) = ½(1 + erf(x/√2)), erf by its Maclaurin series (|x| small here). */
function erfLike(x: number): number {
  const z = x / Math.SQRT2;
  let term = z;
  let sum = z;
  for (let n = 1; n < 400; n++) {
    term *= (-z * z) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
