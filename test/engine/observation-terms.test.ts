/**
 * The observation terms (stdlib/observation-terms.ts): each term's ∂/∂f and ∂/∂sd against central finite
 * differences, log Φ and φ/Φ against reference values computed independently (mpmath at 40 digits, and the
 * asymptotic series of the normal tail), and the f32 WGSL spellings against the f64 ones on a device.
 */
import { describe, expect, it } from 'vitest';
import { logNormcdf, normcdfRatio } from '../../stdlib/special-functions.js';
import { observationTerm, observationTerms, observationTermsWgsl, ObservationCode, type TermValue } from '../../stdlib/observation-terms.js';
import { useGpu } from '../gpu/gpu-fixture.js';

const gpu = await useGpu();

/** mpmath (mp.dps = 40): log(ncdf(x)) and npdf(x)/ncdf(x). */
const reference: readonly [number, number, number][] = [
  [-40, -804.60844201375378817, 40.024968847207263723],
  [-30, -454.32124395634319711, 30.033259667433677037],
  [-8, -35.013437159914549896, 8.1213681122361126807],
  [-3, -6.6077262215103495433, 3.2830986549304365069],
  [-1, -1.8410216450092635058, 1.5251352761609812091],
  [0.5, -0.36894641528865639307, 0.50916043383703348583],
  [3, -0.0013508099647481937988, 0.0044378390421256637933],
  [10, -7.6198530241605260704e-24, 7.6945986267064193463e-23],
];

const value = (code: number, y: number, limit: number, f: number, sd: number): TermValue => observationTerm(code, y, limit, f, sd, 0, { ll: 0, dllDf: 0, dllDsd: 0 });

describe('log Φ and φ/Φ in f64', () => {
  it('match 40-digit reference values from x = −40 to 10', () => {
    for (const [x, logPhi, ratio] of reference) {
      expect(Math.abs(logNormcdf(x) - logPhi) / Math.abs(logPhi)).toBeLessThan(1e-13);
      expect(Math.abs(normcdfRatio(x) - ratio) / ratio).toBeLessThan(1e-13);
    }
  });

  it('log Φ(−30) matches the asymptotic series log φ(x) − log(−x) + log(1 − 1/x² + 3/x⁴ − 15/x⁶ + …)', () => {
    const x = -30;
    let series = 0;
    let term = 1;
    for (let k = 0; k < 12; k++) {
      series += term;
      term *= -(2 * k + 1) / (x * x);
    }
    const asymptotic = -0.5 * Math.log(2 * Math.PI) - 0.5 * x * x - Math.log(-x) + Math.log(series);
    expect(Math.abs(logNormcdf(x) - asymptotic)).toBeLessThan(1e-12);
    // Φ(−40) underflows f64 (≈ e^-804.6); its log does not.
    expect(Number.isFinite(logNormcdf(-40))).toBe(true);
    expect(logNormcdf(-1e5)).toBeCloseTo(-5e9 - Math.log(1e5) - 0.5 * Math.log(2 * Math.PI), 0);
  });
});

describe('observation terms in f64', () => {
  // (code, y, limit, f, sd): every term, in the body and far in the tails (z = −30 for the censored ones).
  const cases: [number, number, number, number, number][] = [
    [ObservationCode.observed, 1.3, NaN, 0.9, 0.4],
    [ObservationCode.observed, -2, NaN, 5, 0.7],
    [ObservationCode.below, 0.1, NaN, 0.5, 0.2],
    [ObservationCode.below, 0.1, NaN, 6.1, 0.2],
    [ObservationCode.below, 1, NaN, 0.2, 0.3],
    [ObservationCode.above, 2, NaN, 1.5, 0.5],
    [ObservationCode.above, 2, NaN, -4, 0.2],
    [ObservationCode.between, 0.1, -0.4, 0.3, 0.5],
    [ObservationCode.between, 0.1, 0.4, 3, 0.2],
    [ObservationCode.between, 9, 8.5, 0.5, 0.2],
  ];

  it('∂ℓ/∂f and ∂ℓ/∂sd equal central finite differences', () => {
    for (const [code, y, limit, f, sd] of cases) {
      const t = value(code, y, limit, f, sd);
      expect(Number.isFinite(t.ll)).toBe(true);
      const h = 1e-5;
      const dF = (value(code, y, limit, f + h, sd).ll - value(code, y, limit, f - h, sd).ll) / (2 * h);
      const dSd = (value(code, y, limit, f, sd + h).ll - value(code, y, limit, f, sd - h).ll) / (2 * h);
      expect(Math.abs(t.dllDf - dF)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dF)));
      expect(Math.abs(t.dllDsd - dSd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dSd)));
    }
  });

  it('the chain through sd(f): the total ∂ℓ/∂f adds ∂ℓ/∂sd · ∂sd/∂f', () => {
    // sd = 0.1 + 0.2 f (combined1), left-censored at 0.3.
    const at = (f: number): TermValue => observationTerm(ObservationCode.below, 0.3, NaN, f, 0.1 + 0.2 * f, 0.2, { ll: 0, dllDf: 0, dllDsd: 0 });
    const h = 1e-6;
    expect(at(0.8).dllDf).toBeCloseTo((at(0.8 + h).ll - at(0.8 - h).ll) / (2 * h), 7);
  });

  it('closed forms: M3 is log Φ((LOQ − f)/sd), right is log(1 − Φ), an interval log(Φ(b) − Φ(a))', () => {
    // b = (0.1 − 6.1)/0.2 = −30.
    expect(Math.abs(value(ObservationCode.below, 0.1, NaN, 6.1, 0.2).ll - -454.32124395634319711)).toBeLessThan(1e-10);
    // a = (2 + 4)/0.2 = 30: log(1 − Φ(30)) = log Φ(−30).
    expect(Math.abs(value(ObservationCode.above, 2, NaN, -4, 0.2).ll - -454.32124395634319711)).toBeLessThan(1e-10);
    // (a, b) = (−0.5, 0.7), (2, 3), (40, 41) and (−35, −34): mpmath at 40 digits.
    expect(value(ObservationCode.between, 0.7, -0.5, 0, 1).ll).toBeCloseTo(-0.79962207457132445978, 13);
    expect(value(ObservationCode.between, 3, 2, 0, 1).ll).toBeCloseTo(-3.844353426334205621, 12);
    expect(Math.abs(value(ObservationCode.between, 41, 40, 0, 1).ll - -804.60844201375378817)).toBeLessThan(1e-9);
    expect(Math.abs(value(ObservationCode.between, -34, -35, 0, 1).ll - -582.44616224687168609)).toBeLessThan(1e-9);
    // The observed term is the Gaussian density.
    const z = (1.3 - 0.9) / 0.4;
    expect(value(ObservationCode.observed, 1.3, NaN, 0.9, 0.4).ll).toBeCloseTo(-0.5 * Math.log(2 * Math.PI) - Math.log(0.4) - 0.5 * z * z, 14);
  });

  it('an unknown code is an error, not a Gaussian', () => {
    expect(() => value(7, 1, NaN, 1, 1)).toThrow(/term code 7/);
  });
});

describe.skipIf(!gpu)('observation terms in f32 (WGSL) against f64', () => {
  it('agree to f32 accuracy, z = −30 included, derivatives too (the total ∂ℓ/∂f with an sd that depends on f)', async () => {
    const device = gpu!.device;
    const cases: [number, number, number, number, number, number][] = [];
    for (const z of [-30, -12, -5, -2, -0.5, 0, 0.7, 3, 8]) {
      // ∂sd/∂f: 0 (a constant error model) or 0.15 (a proportional part), alternating with z.
      const dsdDf = z > 0 ? 0.15 : 0;
      cases.push([ObservationCode.observed, 1 + 0.3 * z, 0, 1, 0.3, dsdDf]);
      cases.push([ObservationCode.below, 1 + 0.3 * z, 0, 1, 0.3, dsdDf]);
      cases.push([ObservationCode.above, 1 + 0.3 * z, 0, 1, 0.3, dsdDf]);
      cases.push([ObservationCode.between, 1 + 0.3 * z, 1 + 0.3 * (z + 0.8), 1, 0.3, dsdDf]);
      cases.push([ObservationCode.between, 1 + 0.3 * z, 1 + 0.3 * (z - 1.5), 1, 0.3, dsdDf]);
    }
    const input = Float32Array.from(cases.flat());
    const code = `${observationTermsWgsl()}
@group(0) @binding(0) var<storage, read> cases: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x * 6u;
  let v = nlm_obs_term(u32(cases[b]), cases[b + 1u], cases[b + 2u], cases[b + 3u], cases[b + 4u], cases[b + 5u]);
  out[gid.x * 3u] = v.x;
  out[gid.x * 3u + 1u] = v.y;
  out[gid.x * 3u + 2u] = v.z;
}`;
    const module = device.createShaderModule({ code });
    const messages = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    expect(messages.map((m) => m.message)).toEqual([]);
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const inBuf = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(inBuf, 0, input);
    const size = cases.length * 3 * 4;
    const outBuf = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }] }));
    pass.dispatchWorkgroups(cases.length);
    pass.end();
    encoder.copyBufferToBuffer(outBuf, 0, read, 0, size);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    for (const b of [inBuf, outBuf, read]) b.destroy();
    cases.forEach((c, i) => {
      // The f64 reference at the f32-rounded inputs the device saw.
      const [k, y, lim, f, sd, dsdDf] = Array.from(input.subarray(i * 6, i * 6 + 6));
      const want = observationTerm(k!, y!, lim!, f!, sd!, dsdDf!, { ll: 0, dllDf: 0, dllDsd: 0 });
      const at = `case ${i} (${observationTerms[k!]!.name}, y ${y}, limit ${lim})`;
      expect(Number.isFinite(got[i * 3]!), at).toBe(true);
      // ℓ to ~1e-5 relative (f32 log Φ is good to its last digits even at z = −30, where Φ itself is 1e-198).
      expect(Math.abs(got[i * 3]! - want.ll), at).toBeLessThan(2e-5 * Math.max(1, Math.abs(want.ll)));
      expect(Math.abs(got[i * 3 + 1]! - want.dllDf), at).toBeLessThan(1e-4 * Math.max(1, Math.abs(want.dllDf)));
      expect(Math.abs(got[i * 3 + 2]! - want.dllDsd), at).toBeLessThan(1e-4 * Math.max(1, Math.abs(want.dllDsd)));
    });
  });
});
