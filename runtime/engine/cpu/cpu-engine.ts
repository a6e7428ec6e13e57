/**
 * The f64 CPU back end of the Engine: each row is solved by `solveTrajectory` with the emitted TS functions.
 * It is the oracle the WebGPU back end is tested against, and the fallback where no adapter exists.
 */
import type { EngineData } from '../engine-data.js';
import type { Engine, LikelihoodResult, Rows, SimulateResult, SolverSettings } from '../engine.js';
import { gaussianTerm } from '../gaussian-likelihood.js';
import type { PreparedModel } from '../prepared-model.js';
import { TrajectoryStatus } from '../trajectory-status.js';
import { solveTrajectory, type Bolus, type Infusion, type TrajectoryInput, type TrajectoryResult } from './solve-trajectory.js';

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
    const infusions: Infusion[] = [];
    const one = [0];
    const value = (fn: (i: number, p: Float64Array, c: Float64Array, out: number[]) => void, i: number): number => {
      fn(i, p, c, one);
      return one[0]!;
    };
    const gradient = (fn: (i: number, p: Float64Array, c: Float64Array, out: Float64Array) => void, i: number): Float64Array => {
      const g = new Float64Array(ns);
      fn(i, p, c, g);
      return g;
    };
    for (let k = 0; k < ndoses; k++) {
      const base = (subject * data.maxDoses + k) * 4;
      const input = data.doses[base + 2]!;
      const amount = data.doses[base + 1]!;
      const dataRate = data.doses[base + 3]!;
      const lag = value(m.inputLag, input);
      const F = amount * value(m.inputBioavailability, input);
      const dLag = gradient(m.inputLagDp, input);
      const dF = gradient(m.inputBioavailabilityDp, input).map((v) => v * amount);
      const start = data.doses[base]! + lag;
      const target = model.inputTargets[input]!;
      const modelDuration = value(m.inputDuration, input);
      const modelRate = value(m.inputRate, input);
      // RATE > 0: rate from the data; −2 or a model duration: duration from the model; −1 or a model rate: rate from the model.
      const useDuration = dataRate === -2 || (dataRate === 0 && modelDuration > 0);
      const useRate = dataRate === -1 || (dataRate === 0 && modelRate > 0);
      if (dataRate > 0 || useDuration || useRate) {
        let R: number;
        let D: number;
        let dR: Float64Array;
        let dD: Float64Array;
        if (useDuration) {
          D = modelDuration;
          R = F / D;
          dD = gradient(m.inputDurationDp, input);
          dR = dF.map((v, q) => v / D - (F * dD[q]!) / (D * D));
        } else {
          R = useRate ? modelRate : dataRate;
          dR = useRate ? gradient(m.inputRateDp, input) : new Float64Array(ns);
          D = F / R;
          dD = dF.map((v, q) => v / R - (F * dR[q]!) / (R * R));
        }
        if (!(R > 0) || !(D > 0)) return TrajectoryStatus.NonFinite;
        infusions.push({ start, end: start + D, target, rate: R, dRate: dR, dStart: dLag, dEnd: dLag.map((v, q) => v + dD[q]!) });
      } else {
        doses.push({ time: start, amount: F, target, dTime: dLag, dAmount: dF });
      }
    }
    for (let k = 0; k < model.doseTargets.length; k++) {
      const time = value(m.doseTime, k);
      const amount = value(m.doseAmount, k);
      const D = value(m.doseDuration, k);
      const dTime = gradient(m.doseTimeDp, k);
      const dAmount = gradient(m.doseAmountDp, k);
      const target = model.doseTargets[k]!;
      if (D > 0) {
        const dD = gradient(m.doseDurationDp, k);
        infusions.push({ start: time, end: time + D, target, rate: amount / D, dRate: dAmount.map((v, q) => v / D - (amount * dD[q]!) / (D * D)), dStart: dTime, dEnd: dTime.map((v, q) => v + dD[q]!) });
      } else {
        doses.push({ time, amount, target, dTime, dAmount });
      }
    }
    const bp = new Float64Array(model.dims.nbreakpoints);
    m.breakpoints(p, c, bp);
    return { p, c: Float64Array.from(c), times, outputs, doses, infusions, breakpoints: Array.from(bp) };
  };

  const solveRow = (rows: Rows, r: number): { input?: TrajectoryInput; result?: TrajectoryResult; status: TrajectoryStatus } => {
    const p = rows.p.slice(r * np, (r + 1) * np);
    const input = trajectoryInput(rows.subject[r]!, p);
    if (typeof input === 'number') return { status: input };
    const result = solveTrajectory(m, input, { ...settings, sensitivities: true, method: settings.method ?? 'explicit' });
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
