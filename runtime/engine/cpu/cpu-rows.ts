/**
 * The rows of a batch on the f64 CPU back end: each row's trajectory problem (its subject's observations, and the
 * doses resolved by stdlib/dose-resolution.ts's rules: lag, bioavailability, bolus or infusion by RATE and the
 * model's duration or rate, with ∂/∂p), solved by one reused `TrajectorySolver`, and the
 * fused likelihood (the observation terms of stdlib/observation-terms.ts: observed or censored). The in-process
 * engine and every worker of the pool run this same code, so a row gives the same numbers wherever it runs.
 *
 * Nothing is allocated per row beyond the solver's per-trajectory stats: the subjects' observations and covariates
 * are unpacked once, and the dose records (with their ∂/∂p arrays) are reused from row to row.
 */
import type { ModelDimensions } from '../../../compiler/emit/model-functions.js';
import type { TsModelModule } from '../../model/load-ts-module.js';
import type { EngineData } from '../engine-data.js';
import type { LikelihoodResult, SimulateResult, SolverSettings } from '../engine.js';
import { DoseKind } from '../../../stdlib/dose-events.js';
import { bioavailableAmount, doseMode, doseModeRule, endTime, laggedTime, modelDoseIsInfusion, resolveInfusion, validInfusion, type DoseModeRule, type ResolvedInfusion } from '../../../stdlib/dose-resolution.js';
import { observationTerm, type TermValue } from '../../../stdlib/observation-terms.js';
import { TrajectoryStatus } from '../trajectory-status.js';
import { doseField, doseKindField, obsField, subjectCounts, subjectCovariates, subjectCovariateTrack, type CovariateTrack } from '../engine-data.js';
import { TrajectorySolver, type TrajectoryInput } from './solve-trajectory.js';

/** What the CPU rows need of a prepared model (runtime/engine/prepared-model.ts has all of it). */
export interface CpuRowModel {
  readonly dims: ModelDimensions;
  readonly ts: TsModelModule;
  readonly inputTargets: readonly number[];
  readonly doseTargets: readonly number[];
}

interface BolusRecord {
  time: number;
  amount: number;
  target: number;
  kind: number;
  interval: number;
  readonly dTime: Float64Array;
  readonly dAmount: Float64Array;
}

interface InfusionRecord extends ResolvedInfusion {
  start: number;
  end: number;
  target: number;
  kind: number;
  interval: number;
  readonly dStart: Float64Array;
  readonly dEnd: Float64Array;
}

/** One subject's data, unpacked from the engine layout. */
interface SubjectData {
  readonly times: Float64Array;
  readonly outputs: Float64Array;
  /** 1 where the observation sees the state after the events at its time (EngineData.obs, `after`). */
  readonly after: Float64Array;
  readonly values: Float64Array;
  /** Each observation's likelihood term code and interval bound (EngineData.obsCensoring, obsLimit). */
  readonly censoring: Float64Array;
  readonly limits: Float64Array;
  readonly c: Float64Array;
  readonly ndoses: number;
  /** Its covariates over time, when they change (EngineData.covariatePoints). */
  readonly track?: CovariateTrack;
}

export class CpuRows {
  private readonly solver: TrajectorySolver;
  private readonly subjects: SubjectData[];
  private readonly p: Float64Array;
  private readonly boluses: BolusRecord[];
  private readonly infusionRecords: InfusionRecord[];
  /** The current row's problem; its arrays are refilled per row. */
  private readonly input: { p: Float64Array; c: Float64Array; covariateTrack: CovariateTrack | undefined; times: Float64Array; outputs: Float64Array; after: Float64Array; doses: BolusRecord[]; infusions: InfusionRecord[]; resets: Float64Array; breakpoints: Float64Array; breakpointsDp: Float64Array };
  /** Reset times of the current row (`input.resets` is a view of its first entries). */
  private readonly resetTimes: Float64Array;
  private readonly one = [0];
  private readonly term: TermValue = { ll: 0, dllDf: 0, dllDsd: 0 };
  private readonly scratch: { lag: Float64Array; bio: Float64Array; amount: Float64Array; dse: Float64Array };
  private readonly rowPredictions: Float64Array;
  private readonly rowGradients: Float64Array;

  constructor(readonly model: CpuRowModel, readonly data: EngineData, settings: SolverSettings) {
    const { np, ns, ne } = model.dims;
    this.solver = new TrajectorySolver(model.ts, { ...settings, sensitivities: true, method: settings.method ?? 'explicit' });
    this.subjects = Array.from({ length: data.nSubjects }, (_, s) => {
      const counts = subjectCounts(data, s);
      const column = (field: 'time' | 'value' | 'output' | 'after'): Float64Array => Float64Array.from({ length: counts.observations }, (_, j) => obsField(data, s, j, field));
      const obsSlice = (a: Float64Array): Float64Array => a.slice(s * data.maxObs, s * data.maxObs + counts.observations);
      const track = subjectCovariateTrack(data, s);
      return { times: column('time'), values: column('value'), outputs: column('output'), after: column('after'), censoring: obsSlice(data.obsCensoring), limits: obsSlice(data.obsLimit), c: subjectCovariates(data, s).slice(), ndoses: counts.doses, ...(track ? { track } : {}) };
    });
    this.p = new Float64Array(np);
    const capacity = data.maxDoses + model.doseTargets.length;
    this.boluses = Array.from({ length: capacity }, () => ({ time: 0, amount: 0, target: 0, kind: 0, interval: 0, dTime: new Float64Array(ns), dAmount: new Float64Array(ns) }));
    this.infusionRecords = Array.from({ length: capacity }, () => ({ start: 0, end: 0, target: 0, rate: 0, duration: 0, kind: 0, interval: 0, dRate: new Float64Array(ns), dDuration: new Float64Array(ns), dStart: new Float64Array(ns), dEnd: new Float64Array(ns) }));
    this.resetTimes = new Float64Array(data.maxDoses);
    this.input = { p: this.p, c: new Float64Array(0), covariateTrack: undefined, times: new Float64Array(0), outputs: new Float64Array(0), after: new Float64Array(0), doses: [], infusions: [], resets: this.resetTimes.subarray(0, 0), breakpoints: new Float64Array(model.dims.nbreakpoints), breakpointsDp: new Float64Array(model.dims.nbreakpoints * ns) };
    this.scratch = { lag: new Float64Array(ns), bio: new Float64Array(ns), amount: new Float64Array(ns), dse: new Float64Array(ne) };
    this.rowPredictions = new Float64Array(data.maxObs);
    this.rowGradients = new Float64Array(data.maxObs * ns);
  }

  /** Predictions and ∂/∂p of every row (`p` is nrows × np); NaN for padding and failed rows. */
  simulate(subject: Int32Array, p: Float64Array): SimulateResult {
    const nrows = subject.length;
    const M = this.data.maxObs;
    const ns = this.model.dims.ns;
    const out: SimulateResult = { status: new Int32Array(nrows), predictions: new Float64Array(nrows * M).fill(NaN), gradients: new Float64Array(nrows * M * ns).fill(NaN) };
    for (let r = 0; r < nrows; r++) {
      const status = this.solveRow(subject[r]!, p, r);
      out.status[r] = status;
      if (status !== TrajectoryStatus.Ok) continue;
      const nobs = this.input.times.length;
      out.predictions.set(this.rowPredictions.subarray(0, nobs), r * M);
      out.gradients.set(this.rowGradients.subarray(0, nobs * ns), r * M * ns);
    }
    return out;
  }

  /** log p(Y_i | p) of every row with its gradients in p and in the error parameters e. */
  logLikelihood(subject: Int32Array, p: Float64Array, e: Float64Array): LikelihoodResult {
    const nrows = subject.length;
    const { ns, ne } = this.model.dims;
    const m = this.model.ts;
    const out: LikelihoodResult = { status: new Int32Array(nrows), logLik: new Float64Array(nrows).fill(NaN), dLogLikDp: new Float64Array(nrows * ns), dLogLikDe: new Float64Array(nrows * ne) };
    const { one, rowPredictions, rowGradients } = this;
    const dsde = this.scratch.dse;
    const term = this.term;
    for (let r = 0; r < nrows; r++) {
      const status = this.solveRow(subject[r]!, p, r);
      out.status[r] = status;
      if (status !== TrajectoryStatus.Ok) continue;
      const { times, outputs, values, censoring, limits } = this.subjects[subject[r]!]!;
      let ll = 0;
      for (let j = 0; j < times.length; j++) {
        const o = outputs[j]!;
        const f = rowPredictions[j]!;
        m.errorSd(o, f, e, one);
        const sd = one[0]!;
        m.errorSdDf(o, f, e, one);
        observationTerm(censoring[j]!, values[j]!, limits[j]!, f, sd, one[0]!, term);
        ll += term.ll;
        for (let k = 0; k < ns; k++) out.dLogLikDp[r * ns + k] = out.dLogLikDp[r * ns + k]! + term.dllDf * rowGradients[j * ns + k]!;
        m.errorSdDe(o, f, e, dsde);
        for (let q = 0; q < ne; q++) out.dLogLikDe[r * ne + q] = out.dLogLikDe[r * ne + q]! + term.dllDsd * dsde[q]!;
      }
      out.logLik[r] = ll;
    }
    return out;
  }

  /** Solves row r (subject s, parameters p[r·np…]) into rowPredictions and rowGradients. */
  private solveRow(s: number, p: Float64Array, r: number): TrajectoryStatus {
    const np = this.model.dims.np;
    for (let k = 0; k < np; k++) this.p[k] = p[r * np + k]!;
    const status = this.prepareInput(s);
    if (status !== TrajectoryStatus.Ok) return status;
    return this.solver.solve(this.input as TrajectoryInput, this.rowPredictions, this.rowGradients).status;
  }

  /**
   * The quantity an infusion mode gives (stdlib/dose-resolution.ts, DOSE_MODES): the data's RATE, or the input's
   * declared duration or rate; its ∂/∂p goes into the record's array of that quantity.
   */
  private givenQuantity(rule: DoseModeRule, inputIndex: number, dataRate: number, inf: InfusionRecord): number {
    const { p, one } = this;
    const m = this.model.ts;
    const c = this.input.c;
    const dGiven = rule.given === 'rate' ? inf.dRate : inf.dDuration;
    if (rule.from === 'data') {
      dGiven.fill(0);
      return dataRate;
    }
    const [fn, fnDp] = rule.given === 'rate' ? [m.inputRate, m.inputRateDp] : [m.inputDuration, m.inputDurationDp];
    fnDp(inputIndex, p, c, dGiven);
    fn(inputIndex, p, c, one);
    return one[0]!;
  }

  /** The infusion of amount F from `start` given by its `given` quantity Y (∂Y/∂p already in the record). */
  private resolve(inf: InfusionRecord, given: DoseModeRule['given'], F: number, dF: Float64Array, Y: number, start: number, dStart: Float64Array): void {
    const ns = this.model.dims.ns;
    resolveInfusion(given, F, dF, Y, given === 'rate' ? inf.dRate : inf.dDuration, inf, ns);
    inf.start = start;
    inf.dStart.set(dStart);
    inf.end = endTime.apply(start, dStart, inf.duration, inf.dDuration, inf.dEnd, ns);
  }

  private pushBolus(time: number, amount: number, target: number, kind: number, interval: number, dTime: Float64Array, dAmount: Float64Array): void {
    const bolus = this.boluses[this.input.doses.length]!;
    bolus.time = time;
    bolus.amount = amount;
    bolus.target = target;
    bolus.kind = kind;
    bolus.interval = interval;
    bolus.dTime.set(dTime);
    bolus.dAmount.set(dAmount);
    this.input.doses.push(bolus);
  }

  /** The trajectory problem of the current row: its subject's observations, and doses resolved (stdlib/dose-resolution.ts). */
  private prepareInput(s: number): TrajectoryStatus {
    const { model, data, one, input } = this;
    const ns = model.dims.ns;
    const m = model.ts;
    const subject = this.subjects[s]!;
    const { p } = this;
    // The subject-level functions (dose quantities, model doses, breakpoints) read the first row's covariates;
    // one that changes follows its track in the RHS and the predictions only (from-dataset.ts enforces it).
    const c = subject.c;
    input.c = c;
    input.covariateTrack = subject.track;
    input.times = subject.times;
    input.outputs = subject.outputs;
    input.after = subject.after;
    input.doses.length = 0;
    input.infusions.length = 0;
    const value = (fn: (i: number, p: Float64Array, c: Float64Array, out: number[]) => void, i: number): number => {
      fn(i, p, c, one);
      return one[0]!;
    };
    const { lag: dLag, bio: dBio, amount: dF } = this.scratch;
    let nresets = 0;
    for (let k = 0; k < subject.ndoses; k++) {
      const kind = doseKindField(data, s, k, 'kind');
      const interval = doseKindField(data, s, k, 'interval');
      if (kind === DoseKind.reset) {
        this.resetTimes[nresets++] = doseField(data, s, k, 'time');
        continue;
      }
      const inputIndex = doseField(data, s, k, 'input');
      const amount = doseField(data, s, k, 'amount');
      const dataRate = doseField(data, s, k, 'rate');
      m.inputLagDp(inputIndex, p, c, dLag);
      m.inputBioavailabilityDp(inputIndex, p, c, dBio);
      const F = bioavailableAmount.apply(amount, value(m.inputBioavailability, inputIndex), dBio, dF, ns);
      const start = laggedTime.apply(doseField(data, s, k, 'time'), value(m.inputLag, inputIndex));
      const target = model.inputTargets[inputIndex]!;
      const rule = doseModeRule(doseMode.apply(dataRate, value(m.inputDuration, inputIndex), value(m.inputRate, inputIndex)));
      if (rule) {
        const inf = this.infusionRecords[input.infusions.length]!;
        const given = this.givenQuantity(rule, inputIndex, dataRate, inf);
        this.resolve(inf, rule.given, F, dF, given, start, dLag);
        if (!validInfusion.apply(inf.rate, inf.duration)) return TrajectoryStatus.NonFinite;
        inf.target = target;
        inf.kind = kind;
        inf.interval = interval;
        input.infusions.push(inf);
      } else {
        this.pushBolus(start, F, target, kind, interval, dLag, dF);
      }
    }
    for (let k = 0; k < model.doseTargets.length; k++) {
      const time = value(m.doseTime, k);
      const amount = value(m.doseAmount, k);
      const D = value(m.doseDuration, k);
      const target = model.doseTargets[k]!;
      m.doseTimeDp(k, p, c, dLag);
      m.doseAmountDp(k, p, c, dF);
      if (modelDoseIsInfusion.apply(D)) {
        const inf = this.infusionRecords[input.infusions.length]!;
        m.doseDurationDp(k, p, c, inf.dDuration);
        this.resolve(inf, 'duration', amount, dF, D, time, dLag);
        inf.target = target;
        inf.kind = DoseKind.dose;
        inf.interval = 0;
        input.infusions.push(inf);
      } else {
        this.pushBolus(time, amount, target, DoseKind.dose, 0, dLag, dF);
      }
    }
    input.resets = this.resetTimes.subarray(0, nresets);
    m.breakpoints(p, c, input.breakpoints);
    m.breakpointsDp(p, c, input.breakpointsDp);
    return TrajectoryStatus.Ok;
  }
}

