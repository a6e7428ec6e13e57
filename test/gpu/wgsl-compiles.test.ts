/**
 * The WGSL back end against a real WebGPU implementation (Dawn; on CPU-only machines Mesa's lavapipe):
 * every example model's WGSL compiles with no error, a broken module is reported at the right line, and the model
 * functions computed on the device agree with the f64 TS back end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../../compiler/pipeline.js';
import { validateWgsl } from '../../runtime/engine/webgpu/device.js';
import { loadTsModel, type TsModelModule } from '../../runtime/model/load-ts-module.js';
import { useGpu } from './gpu-fixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const examples = readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.nlm'))
  .map((f) => relative(root, join(root, 'examples', f)))
  .sort();

function compileExample(path: string): CompileResult {
  const result = compile(readFileSync(join(root, path), 'utf8'));
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, `${path} compiles without errors`).toEqual([]);
  return result;
}

const gpu = await useGpu();
if (gpu) console.info(`[gpu tests] adapter: ${gpu.adapterInfo}`);

describe.skipIf(!gpu)('WGSL on WebGPU', () => {
  const device = (): GPUDevice => gpu!.device;

  it('finds the example models', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const path of examples) {
    it(`Dawn accepts the WGSL of ${path}`, async () => {
      const wgsl = compileExample(path).artifacts.wgsl!;
      const messages = await validateWgsl(device(), wgsl);
      const errors = messages.filter((m) => m.type === 'error');
      expect(errors.map((m) => `${m.line}:${m.column}: ${m.message}`)).toEqual([]);
    });
  }

  it('reports an error in broken WGSL at its line (negative control)', async () => {
    const broken = ['fn nlm_ok(x: f32) -> f32 {', '  return x * 2.0;', '}', 'fn nlm_broken(x: f32) -> f32 {', '  return x + undefined_name;', '}', ''].join('\n');
    const messages = await validateWgsl(device(), broken);
    const errors = messages.filter((m) => m.type === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.line).toBe(5);
    expect(errors[0]!.column).toBe(14);
    expect(errors[0]!.message).toMatch(/undefined_name/);
  });

  it('reports what only a pipeline checks (a device limit) at line 0', async () => {
    const tooMuchWorkgroupMemory = 'var<workgroup> w: array<f32, 20000>;\nfn nlm_f(x: f32) -> f32 {\n  w[0] = x;\n  return w[1];\n}\n';
    expect(await validateWgsl(device(), tooMuchWorkgroupMemory, { pipeline: false })).toEqual([]);
    const errors = (await validateWgsl(device(), tooMuchWorkgroupMemory)).filter((m) => m.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 0, column: 0 });
    expect(errors[0]!.message).toMatch(/workgroup storage/);
  });

  it('evaluates nlm_rhs, nlm_rhsDx and nlm_predict of the pk model like the TS back end (1e-5 relative)', async () => {
    await compareWithTs(device(), 'examples/pk/pk.nlm');
  });

  for (const path of examples.filter((p) => p !== 'examples/pk/pk.nlm')) {
    it(`evaluates the same functions of ${path} like the TS back end (1e-5 relative)`, async () => {
      await compareWithTs(device(), path);
    });
  }
});

/** Inputs to the probe kernel: points (t, x, p, c) at which to evaluate the model functions. */
interface Point {
  readonly t: number;
  readonly x: readonly number[];
  readonly p: readonly number[];
  readonly c: readonly number[];
}

const size = (n: number): number => Math.max(1, n);

/**
 * A kernel that evaluates rhs, rhsDx and every output's predict at one point per invocation. A function returning
 * one value returns a scalar (emitter's rule), so element access is written only for longer results.
 */
function probeKernel(wgsl: string, dims: TsModelModule['dims']): { code: string; inStride: number; outStride: number } {
  const { nx, np, nc, nout } = dims;
  const inStride = 1 + nx + np + nc;
  const outStride = nx + nx * nx + nout;
  const el = (name: string, length: number, k: number): string => (length === 1 ? name : `${name}[${k}]`);
  const lines = [
    '@group(0) @binding(0) var<storage, read> probe_in: array<f32>;',
    '@group(0) @binding(1) var<storage, read_write> probe_out: array<f32>;',
    '@compute @workgroup_size(1)',
    'fn probe_main(@builtin(global_invocation_id) gid: vec3u) {',
    `  let i = gid.x * ${inStride}u;`,
    `  let o = gid.x * ${outStride}u;`,
    '  let t = probe_in[i];',
    `  var x: array<f32, ${size(nx)}>;`,
    `  for (var k = 0u; k < ${nx}u; k++) { x[k] = probe_in[i + 1u + k]; }`,
    `  var p: array<f32, ${size(np)}>;`,
    `  for (var k = 0u; k < ${np}u; k++) { p[k] = probe_in[i + ${1 + nx}u + k]; }`,
    `  var c: array<f32, ${size(nc)}>;`,
    `  for (var k = 0u; k < ${nc}u; k++) { c[k] = probe_in[i + ${1 + nx + np}u + k]; }`,
    '  let f = nlm_rhs(t, x, p, c);',
    ...Array.from({ length: nx }, (_, k) => `  probe_out[o + ${k}u] = ${el('f', nx, k)};`),
    '  let J = nlm_rhsDx(t, x, p, c);',
    ...Array.from({ length: nx * nx }, (_, k) => `  probe_out[o + ${nx + k}u] = ${el('J', nx * nx, k)};`),
    ...Array.from({ length: nout }, (_, q) => `  probe_out[o + ${nx + nx * nx + q}u] = nlm_predict(${q}u, t, x, p, c);`),
    '}',
  ];
  return { code: `${wgsl}\n${lines.join('\n')}\n`, inStride, outStride };
}

/** Runs `entryPoint` once per point and reads `outLength` floats back. */
async function runKernel(device: GPUDevice, code: string, entryPoint: string, input: Float32Array, invocations: number, outLength: number): Promise<Float32Array> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } });
  const inBuf = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(inBuf, 0, input);
  const outBuf = device.createBuffer({ size: outLength * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const readBuf = device.createBuffer({ size: outLength * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }],
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(invocations);
  pass.end();
  encoder.copyBufferToBuffer(outBuf, 0, readBuf, 0, outLength * 4);
  device.queue.submit([encoder.finish()]);
  await readBuf.mapAsync(GPUMapMode.READ);
  const result = new Float32Array(readBuf.getMappedRange().slice(0));
  readBuf.unmap();
  const error = await device.popErrorScope();
  for (const b of [inBuf, outBuf, readBuf]) b.destroy();
  if (error) throw new Error(`WebGPU validation error: ${error.message}`);
  return result;
}

/** Deterministic points near the model's initial parameter values and initial state, rounded to f32. */
function probePoints(result: CompileResult, ts: TsModelModule): Point[] {
  const { nx, nc } = ts.dims;
  const f32 = Math.fround;
  return [0.5, 2.0, 7.25].map((t, k) => {
    const p = result.ir!.parameters.map((q, j) => f32(q.initial * (1 + 0.1 * k + 0.03 * j)));
    const c = Array.from({ length: nc }, (_, j) => f32(1 + 0.5 * j + 0.25 * k));
    const x0 = new Float64Array(Math.max(1, nx));
    ts.initial(p, c, x0);
    const x = Array.from({ length: nx }, (_, j) => f32((x0[j] ?? 0) * (0.8 + 0.15 * k) + 0.5 + 0.1 * j));
    return { t: f32(t), x, p, c };
  });
}

async function compareWithTs(device: GPUDevice, path: string): Promise<void> {
  const result = compileExample(path);
  const ts = await loadTsModel(result.artifacts.ts!);
  const { nx, nout } = ts.dims;
  const points = probePoints(result, ts);
  const kernel = probeKernel(result.artifacts.wgsl!, ts.dims);
  const input = new Float32Array(points.flatMap((q) => [q.t, ...q.x, ...q.p, ...q.c]));
  expect(input.length).toBe(points.length * kernel.inStride);
  const gpuOut = await runKernel(device, kernel.code, 'probe_main', input, points.length, points.length * kernel.outStride);

  const mismatches: string[] = [];
  points.forEach((q, n) => {
    const f = new Float64Array(nx);
    const J = new Float64Array(nx * nx);
    const h = new Float64Array(1);
    ts.rhs(q.t, q.x, q.p, q.c, f);
    ts.rhsDx(q.t, q.x, q.p, q.c, J);
    const expected: [string, number][] = [...f].map((v, k): [string, number] => [`rhs[${k}]`, v]);
    J.forEach((v, k) => expected.push([`rhsDx[${k}]`, v]));
    for (let o = 0; o < nout; o++) {
      ts.predict(o, q.t, q.x, q.p, q.c, h);
      expected.push([`predict(${o})`, h[0]!]);
    }
    expected.forEach(([name, want], k) => {
      const got = gpuOut[n * kernel.outStride + k]!;
      const rel = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
      if (!(rel <= 1e-5)) mismatches.push(`point ${n} ${name}: GPU ${got}, TS ${want}, relative error ${rel.toExponential(2)}`);
    });
  });
  expect(mismatches).toEqual([]);
}
