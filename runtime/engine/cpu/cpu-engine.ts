/**
 * The f64 CPU back end of the Engine: each row is solved by `solveTrajectory` with the emitted TS functions.
 * It is the oracle the WebGPU back end is tested against, and the fallback where no adapter exists.
 */
import type { EngineData } from '../engine-data.js';
import type { Engine, LikelihoodResult, Rows, SimulateResult, SolverSettings } from '../engine.js';
import { gaussianTerm } from '../gaussian-likelihood.js';
import type { PreparedModel } from '../prepared-model.js';
import { TrajectoryStatus } from '../trajectory-status.js';
import { solveTrajectory, type Bolus, type TrajectoryInput, type TrajectoryResult } from './solve-trajectory.js';

export function createCpuEngine(model: PreparedModel, data: EngineData, settings: SolverSettings): Engine {
  const { np, ns, ne } = model.dims;
  const m = model.ts;

  /** The trajectory problem of one row: its subject's observations, and doses with lag and bioavailability applied. */
  const trajectoryInput = (subject: number, p: Float64Array): TrajectoryInput | TrajectoryStatus => {
    const sb = subject * (2 + data.nCovariates);
    const nobs = data.subjects[sb]!;
    const ndoses = data.subjects[sb + 1]!;
    const c = data.subjects.subarray(sb + 2, sb + 2 + data.nCovariates);
    const times: number[] = [];
    const outputs: number[] = [];
    for (let j = 0; j < nobs; j++) {
      times.push(data.obs[(subject * data.maxObs + j) * 3]!);
      outputs.push(data.obs[(subject * data.maxObs + j) * 3 + 2]!);
    }
    const doses: Bolus[] = [];
    const one = [0];
    for (let k = 0; k < ndoses; k++) {
      const base = (subject * data.maxDoses + k) * 4;
      const input = data.doses[base + 2]!;
      if (data.doses[base + 3] !== 0) return TrajectoryStatus.Unsupported;
      const amount = data.doses[base + 1]!;
      m.inputLag(input, p, c, one);
      const lag = one[0]!;
      m.inputBioavailability(input, p, c, one);
      const bio = one[0]!;
      const dTime = new Float64Array(ns);
      const dF = new Float64Array(ns);
      m.inputLagDp(input, p, c, dTime);
      m.inputBioavailabilityDp(input, p, c, dF);
      doses.push({ time: data.doses[base]! + lag, amount: amount * bio, target: model.inputTargets[input]!, dTime, dAmount: dF.map((v) => v * amount) });
    }
    for (let k = 0; k < model.doseTargets.length; k++) {
      m.doseDuration(k, p, c, one);
      if (one[0] !== 0) return TrajectoryStatus.Unsupported;
      m.doseTime(k, p, c, one);
      const time = one[0]!;
      m.doseAmount(k, p, c, one);
      const amount = one[0]!;
      const dTime = new Float64Array(ns);
      const dAmount = new Float64Array(ns);
      m.doseTimeDp(k, p, c, dTime);
      m.doseAmountDp(k, p, c, dAmount);
      doses.push({ time, amount, target: model.doseTargets[k]!, dTime, dAmount });
    }
    const bp = new Float64Array(model.dims.nbreakpoints);
    m.breakpoints(p, c, bp);
    return { p, c: Float64Array.from(c), times, outputs, doses, breakpoints: Array.from(bp) };
  };

  const solveRow = (rows: Rows, r: number): { input?: TrajectoryInput; result?: TrajectoryResult; status: TrajectoryStatus } => {
    const p = rows.p.slice(r * np, (r + 1) * np);
    const input = trajectoryInput(rows.subject[r]!, p);
    if (typeof input === 'number') return { status: input };
    const result = solveTrajectory(m, input, { ...settings, sensitivities: true });
    return { input, result, status: result.status };
  };

  return {
    backend: 'cpu',
    description: 'CPU (f64, TypeScript)',
    async simulate(rows) {
      const nrows = rows.subject.length;
      const out: SimulateResult = {
        status: new Int32Array(nrows), predictions: new Float64Array(nrows * data.maxObs).fill(NaN), gradients: new Float64Array(nrows * data.maxObs * ns).fill(NaN),
      };
      for (let r = 0; r < nrows; r++) {
        const { result, status } = solveRow(rows, r);
        out.status[r] = status;
        if (!result || status !== TrajectoryStatus.Ok) continue;
        out.predictions.set(result.predictions, r * data.maxObs);
        out.gradients.set(result.gradients, r * data.maxObs * ns);
      }
      return out;
    },
    async logLikelihood(rows, e) {
      const nrows = rows.subject.length;
      const out: LikelihoodResult = { status: new Int32Array(nrows), logLik: new Float64Array(nrows).fill(NaN), dLogLikDp: new Float64Array(nrows * ns), dLogLikDe: new Float64Array(nrows * ne) };
      const one = [0];
      const dsde = new Float64Array(ne);
      for (let r = 0; r < nrows; r++) {
        const { input, result, status } = solveRow(rows, r);
        out.status[r] = status;
        if (!input || !result || status !== TrajectoryStatus.Ok) continue;
        const subject = rows.subject[r]!;
        let ll = 0;
        for (let j = 0; j < input.times.length; j++) {
          const o = input.outputs[j]!;
          const f = result.predictions[j]!;
          const y = data.obs[(subject * data.maxObs + j) * 3 + 1]!;
          m.errorSd(o, f, e, one);
          const sd = one[0]!;
          m.errorSdDf(o, f, e, one);
          const term = gaussianTerm(y, f, sd, one[0]!);
          ll += term.ll;
          for (let k = 0; k < ns; k++) out.dLogLikDp[r * ns + k] = out.dLogLikDp[r * ns + k]! + term.dllDf * result.gradients[j * ns + k]!;
          m.errorSdDe(o, f, e, dsde);
          for (let q = 0; q < ne; q++) out.dLogLikDe[r * ne + q] = out.dLogLikDe[r * ne + q]! + term.dllDsd * dsde[q]!;
        }
        out.logLik[r] = ll;
      }
      return out;
    },
    dispose() {},
  };
}
