/**
 * The WebGPU back end of the Engine (f32): the subjects' data are uploaded once and stay on the device; each call
 * uploads only the rows (subject, p) — and e for the likelihood — dispatches one invocation per row, and reads back
 * only the results it was asked for.
 */
import { DATA_LAYOUT, subjectCounts, subjectCovariates, type EngineData } from '../engine-data.js';
import { KERNEL_FIELDS } from '../../../compiler/emit-wgsl/kernel.js';

const { obs: O, dose: D } = KERNEL_FIELDS;
import type { Engine, LikelihoodResult, Rows, SimulateResult, SolverSettings } from '../engine.js';
import type { PreparedModel } from '../prepared-model.js';
import { DoseKind } from '../../../stdlib/dose-events.js';
import { TrajectoryStatus } from '../trajectory-status.js';

/** The kernel's Params struct: 9 words, padded to a multiple of 16 bytes (uniform layout). */
const PARAMS_BYTES = 48;

function storage(device: GPUDevice, data: Float32Array | Uint32Array, label: string, extraUsage = 0): GPUBuffer {
  const buffer = device.createBuffer({ label, size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | extraUsage });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/**
 * The kernel's observation records (compiler/emit-wgsl/kernel.ts): time, value, output, term code, other bound —
 * the bound 0 where there is none (NaN has no place on the device) — and whether it sees the state after the
 * events at its time.
 */
export function kernelObservations(data: EngineData, stride: number): Float32Array {
  const n = data.nSubjects * data.maxObs;
  const out = new Float32Array(n * stride);
  for (let m = 0; m < n; m++) {
    const at = m * DATA_LAYOUT.obs.stride;
    out[m * stride + O.time] = data.obs[at + DATA_LAYOUT.obs.time]!;
    out[m * stride + O.value] = data.obs[at + DATA_LAYOUT.obs.value]!;
    out[m * stride + O.output] = data.obs[at + DATA_LAYOUT.obs.output]!;
    out[m * stride + O.after] = data.obs[at + DATA_LAYOUT.obs.after]!;
    out[m * stride + O.code] = data.obsCensoring[m]!;
    const limit = data.obsLimit[m]!;
    out[m * stride + O.limit] = Number.isFinite(limit) ? limit : 0;
  }
  return out;
}

/** The kernel's subject records (compiler/emit-wgsl/kernel.ts): observation count, dose count, covariates. */
export function kernelSubjects(data: EngineData): Float32Array {
  const S = KERNEL_FIELDS.subject;
  const stride = S.covariates + data.nCovariates;
  const out = new Float32Array(data.nSubjects * stride);
  for (let s = 0; s < data.nSubjects; s++) {
    const counts = subjectCounts(data, s);
    out[s * stride + S.observations] = counts.observations;
    out[s * stride + S.doses] = counts.doses;
    out.set(subjectCovariates(data, s), s * stride + S.covariates);
  }
  return out;
}

/**
 * The kernel's dose records (compiler/emit-wgsl/kernel.ts): time, amount, input, rate, event kind, interval — a
 * reset's input is the kernel's reset stream, `ninputs`.
 */
export function kernelDoses(data: EngineData, ninputs: number, stride: number): Float32Array {
  const n = data.nSubjects * data.maxDoses;
  const out = new Float32Array(n * stride);
  for (let m = 0; m < n; m++) {
    const at = m * DATA_LAYOUT.dose.stride;
    const { dose: H, doseKind: K } = DATA_LAYOUT;
    out[m * stride + D.time] = data.doses[at + H.time]!;
    out[m * stride + D.amount] = data.doses[at + H.amount]!;
    out[m * stride + D.input] = data.doses[at + H.input]!;
    out[m * stride + D.rate] = data.doses[at + H.rate]!;
    const kind = data.doseKinds[m * K.stride + K.kind]!;
    out[m * stride + D.kind] = kind;
    out[m * stride + D.interval] = data.doseKinds[m * K.stride + K.interval]!;
    if (kind === DoseKind.reset) out[m * stride + D.input] = ninputs;
  }
  return out;
}

export async function createWebGpuEngine(model: PreparedModel, data: EngineData, settings: SolverSettings, device: GPUDevice, adapterInfo: string): Promise<Engine> {
  const { np, ns, ne } = model.dims;
  const L = model.layout;
  const method = settings.method ?? 'explicit';
  if (method !== model.method) {
    throw new Error(
      `the solver settings ask for the ${method} method, but the GPU kernel of '${model.name}' was generated for the ${model.method} method: ` +
        `prepare the model with prepareModel(result, { method: '${method}' }) (or set the method to '${model.method}')`,
    );
  }
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: `${model.name} kernel`, code: model.shader });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  const scopeError = await device.popErrorScope();
  if (errors.length > 0 || scopeError) {
    throw new Error(`internal compiler error: the generated kernel for '${model.name}' does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ') || scopeError?.message}`);
  }
  const pipeline = await device.createComputePipelineAsync({ label: `${model.name} integrate`, layout: 'auto', compute: { module, entryPoint: 'main' } });

  // Resident data.
  const obs = storage(device, kernelObservations(data, L.obsStride), 'obs');
  const doses = storage(device, kernelDoses(data, model.dims.ninputs, L.doseStride), 'doses');
  const subjects = storage(device, kernelSubjects(data), 'subjects');
  const covariatePoints = storage(device, Float32Array.from(data.covariatePoints), 'covariate points');
  const paramsBuffer = device.createBuffer({ label: 'params', size: PARAMS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });

  let capacity = 0;
  let rowsBuffer: GPUBuffer | undefined;
  let resultsBuffer: GPUBuffer | undefined;
  let statusBuffer: GPUBuffer | undefined;
  let readResults: GPUBuffer | undefined;
  let readStatus: GPUBuffer | undefined;
  const errpBuffer = device.createBuffer({ label: 'errp', size: Math.max(16, 4 * ne), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });

  /** Grows the per-call buffers to hold `nrows` rows (they are reused between calls). */
  const ensure = (nrows: number): void => {
    if (nrows <= capacity) return;
    for (const b of [rowsBuffer, resultsBuffer, statusBuffer, readResults, readStatus]) b?.destroy();
    capacity = Math.max(nrows, 2 * capacity);
    const resultFloats = capacity * Math.max(data.maxObs * L.simulateStride, L.likelihoodStride);
    rowsBuffer = device.createBuffer({ label: 'rows', size: 4 * capacity * L.rowStride, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    resultsBuffer = device.createBuffer({ label: 'results', size: 4 * resultFloats, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    statusBuffer = device.createBuffer({ label: 'status', size: 4 * capacity, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    readResults = device.createBuffer({ label: 'read results', size: 4 * resultFloats, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    readStatus = device.createBuffer({ label: 'read status', size: 4 * capacity, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  };

  const run = async (rows: Rows, mode: 0 | 1, e: Float64Array): Promise<{ results: Float32Array; status: Uint32Array }> => {
    const nrows = rows.subject.length;
    ensure(nrows);
    const packed = new Float32Array(nrows * L.rowStride);
    for (let r = 0; r < nrows; r++) {
      packed[r * L.rowStride] = rows.subject[r]!;
      for (let k = 0; k < np; k++) packed[r * L.rowStride + 1 + k] = rows.p[r * np + k]!;
    }
    device.queue.writeBuffer(rowsBuffer!, 0, packed);
    device.queue.writeBuffer(errpBuffer, 0, Float32Array.from(e.length ? e : [0]));
    const params = new ArrayBuffer(PARAMS_BYTES);
    const u = new Uint32Array(params);
    const f = new Float32Array(params);
    u[0] = nrows;
    u[1] = data.maxObs;
    u[2] = data.maxDoses;
    u[3] = settings.maxSteps;
    f[4] = settings.rtol;
    f[5] = settings.atol;
    u[6] = mode;
    u[7] = data.nSubjects;
    u[8] = data.maxCovariatePoints;
    device.queue.writeBuffer(paramsBuffer, 0, params);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [paramsBuffer, rowsBuffer!, obs, doses, subjects, errpBuffer, resultsBuffer!, statusBuffer!, covariatePoints].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const resultFloats = nrows * (mode === 0 ? data.maxObs * L.simulateStride : L.likelihoodStride);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(nrows / L.workgroupSize));
    pass.end();
    encoder.copyBufferToBuffer(resultsBuffer!, 0, readResults!, 0, 4 * resultFloats);
    encoder.copyBufferToBuffer(statusBuffer!, 0, readStatus!, 0, 4 * nrows);
    device.queue.submit([encoder.finish()]);
    await Promise.all([readResults!.mapAsync(GPUMapMode.READ, 0, 4 * resultFloats), readStatus!.mapAsync(GPUMapMode.READ, 0, 4 * nrows)]);
    const results = new Float32Array(readResults!.getMappedRange(0, 4 * resultFloats).slice(0));
    const status = new Uint32Array(readStatus!.getMappedRange(0, 4 * nrows).slice(0));
    readResults!.unmap();
    readStatus!.unmap();
    return { results, status };
  };

  /** A row whose numbers are not finite failed even if the kernel's own check missed it (f32 overflow). */
  const finalStatus = (s: number, values: ArrayLike<number>, from: number, to: number): TrajectoryStatus => {
    if (s !== TrajectoryStatus.Ok) return s;
    for (let i = from; i < to; i++) if (!Number.isFinite(values[i]!)) return TrajectoryStatus.NonFinite;
    return TrajectoryStatus.Ok;
  };

  return {
    backend: 'webgpu',
    description: adapterInfo,
    async simulate(rows) {
      const nrows = rows.subject.length;
      const { results, status } = await run(rows, 0, new Float64Array(ne));
      const out: SimulateResult = {
        status: new Int32Array(nrows), predictions: new Float64Array(nrows * data.maxObs).fill(NaN), gradients: new Float64Array(nrows * data.maxObs * ns).fill(NaN),
      };
      for (let r = 0; r < nrows; r++) {
        const nobs = subjectCounts(data, rows.subject[r]!).observations;
        const base = r * data.maxObs * L.simulateStride;
        const s = finalStatus(status[r]!, results, base, base + nobs * L.simulateStride);
        out.status[r] = s;
        if (s !== TrajectoryStatus.Ok) continue;
        for (let j = 0; j < nobs; j++) {
          out.predictions[r * data.maxObs + j] = results[base + j * L.simulateStride]!;
          for (let k = 0; k < ns; k++) out.gradients[(r * data.maxObs + j) * ns + k] = results[base + j * L.simulateStride + 1 + k]!;
        }
      }
      return out;
    },
    async logLikelihood(rows, e) {
      const nrows = rows.subject.length;
      const { results, status } = await run(rows, 1, e);
      const out: LikelihoodResult = { status: new Int32Array(nrows), logLik: new Float64Array(nrows).fill(NaN), dLogLikDp: new Float64Array(nrows * ns), dLogLikDe: new Float64Array(nrows * ne) };
      for (let r = 0; r < nrows; r++) {
        const base = r * L.likelihoodStride;
        const s = finalStatus(status[r]!, results, base, base + L.likelihoodStride);
        out.status[r] = s;
        if (s !== TrajectoryStatus.Ok) continue;
        out.logLik[r] = results[base]!;
        for (let k = 0; k < ns; k++) out.dLogLikDp[r * ns + k] = results[base + 1 + k]!;
        for (let q = 0; q < ne; q++) out.dLogLikDe[r * ne + q] = results[base + 1 + ns + q]!;
      }
      return out;
    },
    dispose() {
      for (const b of [rowsBuffer, resultsBuffer, statusBuffer, readResults, readStatus, obs, doses, subjects, covariatePoints, paramsBuffer, errpBuffer]) b?.destroy();
    },
  };
}
