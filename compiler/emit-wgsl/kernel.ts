/**
 * The integrator kernel: one invocation per (subject, Monte-Carlo sample) row, DiffEqGPU style. Generated from the
 * model's dimensions and a method record: an explicit Butcher tableau (butcher-tableau.ts) or a Rosenbrock-W
 * tableau (rosenbrock-tableau.ts), whose stages are unrolled from the record. The model pieces are the `nlm_`
 * functions of emit-wgsl.ts, so nothing model-specific is written by hand.
 *
 * Only the stepper differs between the methods (`StepperCode`: its helpers, its per-row variables, what it does at
 * the start of an integration segment, one attempted step from (t, y) with size hs to (yn, en), and what it does
 * when a step is taken); the stops, doses, infusions, breakpoint left limits, observations, the fused likelihood,
 * the PI controller and the status words are one piece of code for both.
 *
 * Contract (all sizes static, everything padded):
 *   rows      f32[nrows × (1 + NP)]          subject index, then the row's individual parameters p
 *   obs       f32[nsubjects × maxObs × 6]     time, value (already transformed), output index, observation term
 *                                             code (stdlib/observation-terms.ts: observed or censored), other
 *                                             bound, after (1: sees the state after the events at its time)
 *   doses     f32[nsubjects × maxDoses × 6]   time, amount, input index (NINPUTS for a reset), rate (0 = bolus),
 *                                             event kind (stdlib/dose-events.ts), a steady state's interval II
 *   subjects  f32[nsubjects × (2 + NC)]       number of observations, number of doses, covariates
 *   errp      f32[max(1, NE)]                 residual-error parameters
 *   results   mode 0 (simulate): f32[nrows × maxObs × (1 + NS)]  prediction, ∂prediction/∂p
 *             mode 1 (likelihood): f32[nrows × (1 + NS + NE)]    log p(Y|p), ∂/∂p, ∂/∂e
 *   status    u32[nrows]                      TrajectoryStatus
 *   covpts    f32[nsubjects × (1 + maxCov × (1 + 2 NC))]  per subject the number of covariate points, then each
 *                                             point's time, values and slopes (EngineData.covariatePoints)
 * Integration stops exactly at observation times, dose times (data times + lag), resets and breakpoints. At one
 * time: the observations before the events (after = 0), the breakpoint jumps, then the events of
 * stdlib/dose-events.ts — the infusions that end, the events that replace the state (resets, SS = 1), the other
 * data doses, the model-declared doses — then the observations after them (after = 1: their data rows follow a
 * dose or reset row there, NONMEM's record order; the host sorts them last at their time). A steady state is
 * iterated period by period apart from the timeline (`steady_state`). How a dose is given (bolus or infusion, from
 * RATE and the model's duration or rate, with lag and bioavailability) is stdlib/dose-resolution.ts's, the jumps of
 * x and S at each event stdlib/jump-rules.ts's, the starting step and the controller compiler/solvers/step-control.ts's.
 * Sensitivities S = ∂x/∂p are integrated with x and error-controlled. The shader compiler inlines every call, so
 * `advance` and `steady_state` are called from one place each (the kernel's compile time on lavapipe is about
 * proportional to the inlined size).
 */
import { doseEventsWgsl, EVENT_ORDER, type EventPhase } from '../../stdlib/dose-events.js';
import { doseAmount, eventTime, inputEdge, InputEdge } from '../../stdlib/jump-rules.js';
import { bioavailableAmount, DOSE_MODES, doseMode, doseModeWgsl, endTime, givesRateWgsl, laggedTime, modelDoseIsInfusion, resolveInfusionWgsl, validInfusion } from '../../stdlib/dose-resolution.js';
import { observationTermsWgsl } from '../../stdlib/observation-terms.js';
import type { ModelDimensions } from '../emit/model-functions.js';
import { explicitStepper } from './kernel-explicit.js';
import { steadyStateWgsl } from './kernel-steady-state.js';
import { rosenbrockStepper } from './kernel-rosenbrock.js';
import { isRosenbrockTableau, lit, type KernelMethod } from './kernel-stepper.js';
import { errorNorm, PI_CONTROL as C, piFactor, startingStep, STEP_LIMITS } from '../solvers/step-control.js';
import { statusConstants } from '../../stdlib/trajectory-status.js';

export { isRosenbrockTableau, type KernelMethod } from './kernel-stepper.js';

/** The step loop's limits for this back end's precision (compiler/solvers/step-control.ts). */
const LIMITS = STEP_LIMITS.f32;

/**
 * The fields of the kernel's records, one declaration for the kernel text and the host that packs them
 * (runtime/engine/webgpu/webgpu-engine.ts): the offset of each field in its record.
 */
export const KERNEL_FIELDS = {
  obs: { time: 0, value: 1, output: 2, code: 3, limit: 4, after: 5 },
  dose: { time: 0, amount: 1, input: 2, rate: 3, kind: 4, interval: 5 },
  subject: { observations: 0, doses: 1, covariates: 2 },
} as const;

export interface KernelLayout {
  readonly workgroupSize: number;
  /** Floats per row in `rows`. */
  readonly rowStride: number;
  /** Floats per record; the fields are KERNEL_FIELDS. */
  readonly obsStride: number;
  readonly doseStride: number;
  readonly subjectStride: number;
  readonly likelihoodStride: number;
  readonly simulateStride: number;
}

export function kernelLayout(dims: ModelDimensions): KernelLayout {
  return {
    workgroupSize: 64, rowStride: 1 + dims.np, obsStride: Object.keys(KERNEL_FIELDS.obs).length, doseStride: Object.keys(KERNEL_FIELDS.dose).length,
    subjectStride: KERNEL_FIELDS.subject.covariates + dims.nc,
    likelihoodStride: 1 + dims.ns + dims.ne, simulateStride: 1 + dims.ns,
  };
}

/** Static facts of the model the kernel needs besides its dimensions. */
export interface KernelModelFacts {
  /** Values per case of each model function (1 means it returns a scalar). */
  readonly functionLengths: ReadonlyMap<string, number>;
  /** Target state of each input and of each model-declared dose event. */
  readonly inputTargets: readonly number[];
  readonly doseTargets: readonly number[];
}

export function emitKernel(dims: ModelDimensions, method: KernelMethod, facts: KernelModelFacts): string {
  const functionLengths = facts.functionLengths;
  const targets = (name: string, v: readonly number[]): string => `var<private> ${name}: array<u32, ${Math.max(1, v.length)}> = array<u32, ${Math.max(1, v.length)}>(${(v.length ? v : [0]).map((x) => `${x}u`).join(', ')});`;
  const L = kernelLayout(dims);
  const { obs: O, dose: D, subject: S } = KERNEL_FIELDS;
  const a = (n: number): number => Math.max(1, n);
  const N = dims.nx + dims.nx * dims.ns;
  /** Calls a model function and always yields an array (length-1 functions return a scalar). */
  const arr = (name: string, args: string): string => ((functionLengths.get(name) ?? 2) === 1 ? `array<f32, 1>(nlm_${name}(${args}))` : `nlm_${name}(${args})`);
  const stepper = isRosenbrockTableau(method) ? rosenbrockStepper(method, dims, arr) : explicitStepper(method);
  /** The given quantity Y of an infusion mode and ∂Y/∂p (stdlib/dose-resolution.ts, DOSE_MODES), on the kernel's names. */
  const source = { data: { rate: ['drate', '0.0'] }, model: { rate: ['irate[li]', 'dirate[li * NS + k]'], duration: ['idur[li]', 'didur[li * NS + k]'] } } as const;
  const givenQuantityWgsl = DOSE_MODES.map((r) => {
    const [value, dp] = r.from === 'data' ? source.data.rate : source.model[r.given];
    return `            if (mode == ${doseModeWgsl(r.mode)}) { Y = ${value}; for (var k = 0u; k < NS; k++) { dY[k] = ${dp}; } }`;
  }).join('\n');
  /**
   * The data events due at t of each stream (the resets' first), in two passes over the streams: pass 0 is
   * EVENT_ORDER's replacingState (resets, SS = 1), pass 1 the data part of otherDoses. One loop rather than one
   * copy per phase keeps the kernel as small as before; the order check below says the two phases are adjacent.
   */
  const dataEventPasses = `    for (var phase = 0u; phase < 2u; phase++) {
      for (var stream = 0u; stream <= NINPUTS; stream++) {
        // The reset stream first.
        let i = select(stream - 1u, NINPUTS, stream == 0u);
        let li = min(i, ${a(dims.ninputs) - 1}u);
        loop {
          let q = dptr[i];
          if (q >= ndoses) { break; }
          let rec = dbase + q * ${L.doseStride}u;
          if (u32(doses[rec + ${D.input}u]) != i) { dptr[i] = q + 1u; continue; }
          if (${laggedTime.value(`doses[rec + ${D.time}u]`, 'select(0.0, lag[li], i < NINPUTS)')} > t) { break; }
          let kind = u32(doses[rec + ${D.kind}u]);
          if (phase == 0u && !replaces_state(kind)) { break; }
          dptr[i] = q + 1u;
          dosed = true;
          if (kind == KIND_RESET) {
            reset_state(&y, p, c);
            continue;
          }
          let tgt = INPUT_TARGET[li];
          var dF: array<f32, ${a(dims.ns)}>;
          var dlg: array<f32, ${a(dims.ns)}>;
          let amt = doses[rec + ${D.amount}u];
          for (var k = 0u; k < NS; k++) { dF[k] = ${bioavailableAmount.dp('amt', 'dbio[li * NS + k]')}; dlg[k] = dlag[li * NS + k]; }
          let F = ${bioavailableAmount.value('amt', 'bio[li]')};
          let steady = kind == KIND_SS || kind == KIND_SS_ADDED;
          let drate = doses[rec + ${D.rate}u];
          // How the dose is given, and an infusion's given quantity (stdlib/dose-resolution.ts, DOSE_MODES).
          let mode = dose_mode(drate, idur[li], irate[li]);
          let infused = mode != DOSE_BOLUS;
          var inf: ResolvedInfusion;
          if (infused) {
            var Y = 0.0;
            var dY: array<f32, ${a(dims.ns)}>;
${givenQuantityWgsl}
            inf = resolve_infusion(${givesRateWgsl('mode')}, F, dF, Y, dY);
            if (!(${validInfusion.wgsl('inf.R', 'inf.D')})) { st = ST_NON_FINITE; break; }
          }
          if (steady) {
            // One call for both kinds of dose (each call of steady_state is inlined): a bolus F (∂F/∂p), or the
            // input's rate R (∂R/∂p) for D (∂D/∂p).
            var ddose: array<f32, ${a(dims.ns)}>;
            var dDur: array<f32, ${a(dims.ns)}>;
            for (var k = 0u; k < NS; k++) { ddose[k] = select(dF[k], inf.dR[k], infused); dDur[k] = select(0.0, inf.dD[k], infused); }
            st = steady_state(&y, t, kind, doses[rec + ${D.interval}u], tgt, select(F, 0.0, infused), select(0.0, inf.R, infused), ddose, select(0.0, inf.D, infused), dDur, dlg, &steps, p, ct);
            if (st != ST_OK) { break; }
          }
          if (infused) {
            var dend: array<f32, ${a(dims.ns)}>;
            for (var k = 0u; k < NS; k++) { dend[k] = ${endTime.dp('dlg[k]', 'inf.dD[k]')}; }
            if (!start_infusion(&y, tgt, inf.R, inf.dR, dlg, ${endTime.value('t', 'inf.D')}, dend)) { st = ST_UNSUPPORTED; break; }
          } else {
            apply_bolus(&y, t, tgt, F, dF, dlg, p, cv);
          }
        }
        if (st != ST_OK) { break; }
      }
      if (st != ST_OK) { break; }
    }
    if (st != ST_OK) { break; }
`;
  if (EVENT_ORDER.indexOf('otherDoses') !== EVENT_ORDER.indexOf('replacingState') + 1) throw new Error('emitKernel: the data-event passes need replacingState just before otherDoses (stdlib/dose-events.ts)');
  /** One piece of the stop's code per entry of EVENT_ORDER (stdlib/dose-events.ts), printed in its order. */
  const phases: Record<EventPhase, string> = {
    observationsBefore: `    // Observations at this time whose rows come before every dose and reset row here: the state before the events.
    loop {
      if (j >= nobs) { break; }
      let ob = obase + j * ${L.obsStride}u;
      if (obs[ob + ${O.time}u] > t || obs[ob + ${O.after}u] != 0.0) { break; }
      if (!record_obs(row, j, ob, t, y, p, ct, e, &ll, &gp, &ge)) { st = ST_NON_FINITE; }
      j = j + 1u;
    }
    if (st != ST_OK) { break; }

`,
    breakpointJumps: `    // Breakpoints reached: the RHS jumps from f(τ⁻) to f(τ⁺) with x continuous, eventTime's rule (stdlib/jump-rules.ts);
    // two at one time jump once, with the first one's ∂τ/∂p.
    for (var k = 0u; k < NBP; k++) {
      if (bpDone[k] || bp[k] > t) { continue; }
      bpDone[k] = true;
      var first = true;
      for (var q = 0u; q < k; q++) { if (bp[q] == bp[k]) { first = false; } }
      if (NS == 0u || !first) { continue; }
      var xb: array<f32, ${a(dims.nx)}>;
      for (var i = 0u; i < NX; i++) { xb[i] = y[i]; }
      let tb = select(-1.0e-30, bitcast<f32>(bitcast<u32>(t) - 1u), t > 0.0);
      let fb = ${arr('rhs', 'tb, xb, p, ct')};
      let fa = ${arr('rhs', 't, xb, p, ct')};
      for (var i = 0u; i < NX; i++) {
        for (var q = 0u; q < NS; q++) { ${eventTime.wgsl('y', 'fb', 'fa', 'i', 'q', 'dbp[k * NS + q]')} }
      }
    }

`,
    infusionsEnding: `    // Infusions that end now (stdlib/dose-events.ts, EVENT_ORDER).
    if (end_infusions(&y, t)) { dosed = true; }
`,
    replacingState: `    // What replaces the state (resets, SS = 1: pass 0), then the other data doses of each input (pass 1).
${dataEventPasses}`,
    otherDoses: `    // The model-declared doses, after the data's: an infusion given by its duration, or a bolus (stdlib/dose-resolution.ts).
    for (var k = 0u; k < NDOSES; k++) {
      if (mdDone[k] || mdTime[k] > t) { continue; }
      let tgt = DOSE_TARGET[k];
      let amt = nlm_doseAmount(k, p, c);
      let D = nlm_doseDuration(k, p, c);
      let da = ${arr('doseAmountDp', 'k, p, c')};
      let dt = ${arr('doseTimeDp', 'k, p, c')};
      var damt: array<f32, ${a(dims.ns)}>;
      var dtm: array<f32, ${a(dims.ns)}>;
      for (var q = 0u; q < NS; q++) { damt[q] = da[q]; dtm[q] = dt[q]; }
      if (${modelDoseIsInfusion.wgsl('D')}) {
        let dd = ${arr('doseDurationDp', 'k, p, c')};
        var dD: array<f32, ${a(dims.ns)}>;
        for (var q = 0u; q < NS; q++) { dD[q] = dd[q]; }
        let inf = resolve_infusion(false, amt, damt, D, dD);
        var dend: array<f32, ${a(dims.ns)}>;
        for (var q = 0u; q < NS; q++) { dend[q] = ${endTime.dp('dtm[q]', 'inf.dD[q]')}; }
        if (!start_infusion(&y, tgt, inf.R, inf.dR, dtm, ${endTime.value('t', 'inf.D')}, dend)) { st = ST_UNSUPPORTED; break; }
      } else {
        apply_bolus(&y, t, tgt, amt, damt, dtm, p, cv);
      }
      mdDone[k] = true;
      dosed = true;
    }
    if (st != ST_OK) { break; }
`,
    observationsAfter: `    // Observations whose rows follow a dose or reset row at t: the state after the events.
    loop {
      if (j >= nobs) { break; }
      let ob = obase + j * ${L.obsStride}u;
      if (obs[ob + ${O.time}u] > t) { break; }
      if (!record_obs(row, j, ob, t, y, p, ct, e, &ll, &gp, &ge)) { st = ST_NON_FINITE; }
      j = j + 1u;
    }
    if (st != ST_OK) { break; }
`,
  };
  return `
${Object.entries(statusConstants).map(([name, code]) => `const ${name}: u32 = ${code}u;`).join('\n')}
const N: u32 = ${N}u;
const NX: u32 = ${dims.nx}u;
const NS: u32 = ${dims.ns}u;
const NP: u32 = ${dims.np}u;
const NC: u32 = ${dims.nc}u;
const NE: u32 = ${dims.ne}u;
const NINPUTS: u32 = ${dims.ninputs}u;
const NDOSES: u32 = ${dims.ndoses}u;
const NBP: u32 = ${dims.nbreakpoints}u;
const INF: f32 = 3.0e38;
${targets('INPUT_TARGET', facts.inputTargets)}
${targets('DOSE_TARGET', facts.doseTargets)}

struct Params {
  nrows: u32,
  maxObs: u32,
  maxDoses: u32,
  maxSteps: u32,
  rtol: f32,
  atol: f32,
  mode: u32,
  nsubjects: u32,
  maxCov: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read> obs: array<f32>;
@group(0) @binding(3) var<storage, read> doses: array<f32>;
@group(0) @binding(4) var<storage, read> subjects: array<f32>;
@group(0) @binding(5) var<storage, read> errp: array<f32>;
@group(0) @binding(6) var<storage, read_write> results: array<f32>;
@group(0) @binding(7) var<storage, read_write> status: array<u32>;
@group(0) @binding(8) var<storage, read> covpts: array<f32>;

// dy/dt for y = [x; S]: f(t, x, p, c) + the running input rate, and dS/dt = (∂f/∂x) S + ∂f/∂p + its ∂/∂p
// (nlm_sensitivityRhs, over the nonzero entries: compiler/emit/augmented-rhs.ts).
fn aug_rhs(t: f32, y: array<f32, N>, p: array<f32, ${a(dims.np)}>, c0: array<f32, ${a(dims.nc)}>) -> array<f32, N> {
  let c = cov_at(t, c0);
${dims.ns > 0 ? '  return nlm_sensitivityRhs(t, y, p, c, inf_rate, inf_drate);' : `  var x: array<f32, ${a(dims.nx)}>;
  for (var i = 0u; i < NX; i++) { x[i] = y[i]; }
  var out: array<f32, N>;
  let f = ${arr('rhs', 't, x, p, c')};
  for (var i = 0u; i < NX; i++) { out[i] = f[i] + inf_rate[i]; }
  return out;`}
}

// The covariates over time: the current point's time, values and slopes (CovariateTrack in
// runtime/engine/engine-data.ts: c(t) = values + slopes · max(0, t − time)); CPS floats per point.
const CPS: u32 = ${1 + 2 * dims.nc}u;
var<private> cov_t0: f32;
var<private> cov_base: array<f32, ${a(dims.nc)}>;
var<private> cov_slope: array<f32, ${a(dims.nc)}>;
var<private> cov_sloped: bool;

fn cov_load(at: u32) {
  cov_t0 = covpts[at];
  cov_sloped = false;
  for (var i = 0u; i < NC; i++) {
    cov_base[i] = covpts[at + 1u + i];
    cov_slope[i] = covpts[at + 1u + NC + i];
    if (cov_slope[i] != 0.0) { cov_sloped = true; }
  }
}

// c at t: the passed values while no covariate has a slope (the point's values, or the first row's), else the line.
fn cov_at(t: f32, c: array<f32, ${a(dims.nc)}>) -> array<f32, ${a(dims.nc)}> {
  if (!cov_sloped) { return c; }
  var out: array<f32, ${a(dims.nc)}>;
  let dt = max(0.0, t - cov_t0);
  for (var i = 0u; i < NC; i++) { out[i] = cov_base[i] + cov_slope[i] * dt; }
  return out;
}

// Zero-order inputs running now: their rates enter f, and ∂rate/∂p enters dS/dt. At most MAXINF at once per row.
const MAXINF: u32 = 8u;
var<private> inf_rate: array<f32, ${a(dims.nx)}>;
var<private> inf_drate: array<f32, ${a(dims.nx * dims.ns)}>;
var<private> inf_end: array<f32, MAXINF>;
var<private> inf_tgt: array<u32, MAXINF>;
var<private> inf_R: array<f32, MAXINF>;
var<private> inf_dR: array<f32, ${a(8 * dims.ns)}>;
var<private> inf_dend: array<f32, ${a(8 * dims.ns)}>;

// The total input rate of each state, summed afresh from the active infusions (no drift from += and −=).
fn refresh_rates() {
  for (var i = 0u; i < NX; i++) { inf_rate[i] = 0.0; for (var k = 0u; k < NS; k++) { inf_drate[i * NS + k] = 0.0; } }
  for (var s = 0u; s < MAXINF; s++) {
    if (inf_end[s] >= INF) { continue; }
    let g = inf_tgt[s];
    inf_rate[g] = inf_rate[g] + inf_R[s];
    for (var k = 0u; k < NS; k++) { inf_drate[g * NS + k] = inf_drate[g * NS + k] + inf_dR[s * NS + k]; }
  }
}

// A bolus of amt into tgt at t: doseAmount, then eventTime with f before and after it (stdlib/jump-rules.ts).
fn apply_bolus(y: ptr<function, array<f32, N>>, t: f32, tgt: u32, amt: f32, damt: array<f32, ${a(dims.ns)}>, dtime: array<f32, ${a(dims.ns)}>, p: array<f32, ${a(dims.np)}>, c: array<f32, ${a(dims.nc)}>) {
  var fb: array<f32, N>;
  if (NS > 0u) { fb = aug_rhs(t, *y, p, c); }
  (*y)[tgt] = (*y)[tgt] + amt;
  if (NS > 0u) {
    let fa = aug_rhs(t, *y, p, c);
    for (var k = 0u; k < NS; k++) {
      ${doseAmount.wgsl('(*y)', 'tgt', 'damt[k]', 'k')}
      for (var r = 0u; r < NX; r++) { ${eventTime.wgsl('(*y)', 'fb', 'fa', 'r', 'k', 'dtime[k]')} }
    }
  }
}

// Starts a zero-order input of rate R into tgt until tend; S jumps by inputEdge's start rule (stdlib/jump-rules.ts).
fn start_infusion(y: ptr<function, array<f32, N>>, tgt: u32, R: f32, dR: array<f32, ${a(dims.ns)}>, dstart: array<f32, ${a(dims.ns)}>, tend: f32, dend: array<f32, ${a(dims.ns)}>) -> bool {
  var slot = MAXINF;
  for (var s = 0u; s < MAXINF; s++) { if (inf_end[s] >= INF) { slot = s; break; } }
  if (slot == MAXINF) { return false; }
  inf_end[slot] = tend;
  inf_tgt[slot] = tgt;
  inf_R[slot] = R;
  for (var k = 0u; k < NS; k++) {
    inf_dR[slot * NS + k] = dR[k];
    inf_dend[slot * NS + k] = dend[k];
    ${inputEdge.wgsl('(*y)', 'tgt', InputEdge.start, 'R', 'dstart[k]', 'k')}
  }
  refresh_rates();
  return true;
}

// Ends the infusions due by t; S jumps by inputEdge's end rule (stdlib/jump-rules.ts).
fn end_infusions(y: ptr<function, array<f32, N>>, t: f32) -> bool {
  var ended = false;
  for (var s = 0u; s < MAXINF; s++) {
    if (inf_end[s] >= INF || inf_end[s] > t) { continue; }
    let g = inf_tgt[s];
    for (var k = 0u; k < NS; k++) { ${inputEdge.wgsl('(*y)', 'g', InputEdge.end, 'inf_R[s]', 'inf_dend[s * NS + k]', 'k')} }
    inf_end[s] = INF;
    ended = true;
  }
  if (ended) { refresh_rates(); }
  return ended;
}

// The initial state x0 and S0 = ∂x0/∂p.
fn initial_state(y: ptr<function, array<f32, N>>, p: array<f32, ${a(dims.np)}>, c: array<f32, ${a(dims.nc)}>) {
  let x0 = ${arr('initial', 'p, c')};
  for (var i = 0u; i < NX; i++) { (*y)[i] = x0[i]; }
  if (NS > 0u) {
    let s0 = ${arr('initialDp', 'p, c')};
    for (var m = 0u; m < NX * NS; m++) { (*y)[NX + m] = s0[m]; }
  }
}

// A reset: every state to its initial value and S to ∂x0/∂p; the running infusions end (their input is discarded too).
fn reset_state(y: ptr<function, array<f32, N>>, p: array<f32, ${a(dims.np)}>, c: array<f32, ${a(dims.nc)}>) {
  initial_state(y, p, c);
  for (var s = 0u; s < MAXINF; s++) { inf_end[s] = INF; }
  refresh_rates();
}

// The largest f32 below x (the left limit of a stop; stops before 0 occur in a steady state's periods).
fn left_of(x: f32) -> f32 {
  if (x > 0.0) { return bitcast<f32>(bitcast<u32>(x) - 1u); }
  if (x < 0.0) { return bitcast<f32>(bitcast<u32>(x) + 1u); }
  return -1.0e-30;
}

// The step's error norm (compiler/solvers/step-control.ts).
${errorNorm.wgsl()}
${stepper.helpers ? `\n${stepper.helpers}\n` : ''}
${observationTermsWgsl()}

${doseEventsWgsl()}

${doseMode.wgsl()}

${resolveInfusionWgsl(dims.ns)}

// Integrates y from t to exactly tnext (> t) with the adaptive embedded pair and the PI controller; the status
// word (0 ok). The shared stop loop and the steady-state periods both call it, once each (every call is inlined).
// Where h is 0 it starts with the starting step; after an event (restart) the step carried on is bounded.
fn advance(yp: ptr<function, array<f32, N>>, tp: ptr<function, f32>, hp: ptr<function, f32>, stepsp: ptr<function, u32>, errPrevp: ptr<function, f32>, restart: bool, tnext: f32, p: array<f32, ${a(dims.np)}>, c: array<f32, ${a(dims.nc)}>) -> u32 {
  var y = *yp;
  var t = *tp;
  var h = *hp;
  var steps = *stepsp;
  var errPrev = *errPrevp;
  var st = ST_OK;
  var ys: array<f32, N>;
  var yn: array<f32, N>;
  var en: array<f32, N>;
${stepper.declarations}
  // Stages that reach the stop are evaluated just before it: at a breakpoint the RHS jumps, and the step
  // that ends there must see the left limit, or its error estimate never passes.
  let tleft = left_of(tnext);
  // The starting step (compiler/solvers/step-control.ts).
  if (h == 0.0) { h = ${startingStep.wgsl('(tnext - t)')}; } else if (restart) { h = ${startingStep.afterEventWgsl('h', 't')}; }
${stepper.segmentStart}
  loop {
    if (t >= tnext) { break; }
    let remaining = tnext - t;
    let last = h >= remaining * (1.0 - ${lit(LIMITS.lastStep)});
    let hs = select(h, remaining, last);
${stepper.attempt}
    let nrm = ${stepper.norm};
    steps = steps + 1u;
    if (nrm != nrm || nrm > 3.0e38) {
      if (!(hs >= ${lit(LIMITS.minStep)} * max(1.0, abs(t)))) { st = ST_NON_FINITE; break; }
      h = hs * ${lit(C.nonFiniteFactor)};
      continue;
    }
    if (nrm <= 1.0) {
      t = select(t + hs, tnext, last);
      y = yn;
      ${stepper.onAccept}
      let fac = ${piFactor.wgsl('nrm', 'errPrev', stepper.q, true)};
      errPrev = ${piFactor.rememberedWgsl('nrm')};
      if (!last || hs == h) { h = hs * fac; }
    } else {
      h = hs * ${piFactor.wgsl('nrm', 'errPrev', stepper.q, false)};
    }
    if (steps > params.maxSteps) { st = ST_MAX_STEPS; break; }
    if (h < ${lit(LIMITS.minStep)} * max(1.0, abs(t))) { st = ST_STEP_TOO_SMALL; break; }
  }
  *yp = y;
  *tp = t;
  *hp = h;
  *stepsp = steps;
  *errPrevp = errPrev;
  return st;
}

${steadyStateWgsl(dims, arr)}

// Observation j of the row (its record at ob) at t from y: in mode 0 its prediction and ∂/∂p into results; in
// mode 1 its term (observed, or censored) with sd(f, e) and the derivatives, added to *llp, *gpp, *gep. False when
// the prediction is not a number.
fn record_obs(row: u32, j: u32, ob: u32, t: f32, y: array<f32, N>, p: array<f32, ${a(dims.np)}>, ct: array<f32, ${a(dims.nc)}>, e: array<f32, ${a(dims.ne)}>, llp: ptr<function, f32>, gpp: ptr<function, array<f32, ${a(dims.ns)}>>, gep: ptr<function, array<f32, ${a(dims.ne)}>>) -> bool {
  let o = u32(obs[ob + ${O.output}u]);
  var x: array<f32, ${a(dims.nx)}>;
  for (var i = 0u; i < NX; i++) { x[i] = y[i]; }
  let f = nlm_predict(o, t, x, p, ct);
  var dfdp: array<f32, ${a(dims.ns)}>;
  if (NS > 0u) {
    let hx = ${arr('predictDx', 'o, t, x, p, ct')};
    let hp = ${arr('predictDp', 'o, t, x, p, ct')};
    for (var k = 0u; k < NS; k++) {
      var acc = hp[k];
      for (var i = 0u; i < NX; i++) { acc = acc + hx[i] * y[NX + i * NS + k]; }
      dfdp[k] = acc;
    }
  }
  if (params.mode == 0u) {
    let rb = (row * params.maxObs + j) * ${L.simulateStride}u;
    results[rb] = f;
    for (var k = 0u; k < NS; k++) { results[rb + 1u + k] = dfdp[k]; }
  } else {
    let sd = nlm_errorSd(o, f, e);
    let term = nlm_obs_term(u32(obs[ob + ${O.code}u]), obs[ob + ${O.value}u], obs[ob + ${O.limit}u], f, sd, nlm_errorSdDf(o, f, e));
    *llp = *llp + term.x;
    let dll_dsd = term.z;
    let dll_df = term.y;
    for (var k = 0u; k < NS; k++) { (*gpp)[k] = (*gpp)[k] + dll_df * dfdp[k]; }
    let dsde = ${arr('errorSdDe', 'o, f, e')};
    for (var m = 0u; m < NE; m++) { (*gep)[m] = (*gep)[m] + dll_dsd * dsde[m]; }
  }
  return f == f;
}

@compute @workgroup_size(${L.workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= params.nrows) { return; }
  let rbase = row * ${L.rowStride}u;
  let subj = u32(rows[rbase]);
  var p: array<f32, ${a(dims.np)}>;
  for (var i = 0u; i < NP; i++) { p[i] = rows[rbase + 1u + i]; }
  let sbase = subj * ${L.subjectStride}u;
  let nobs = u32(subjects[sbase + ${S.observations}u]);
  let ndoses = u32(subjects[sbase + ${S.doses}u]);
  var c: array<f32, ${a(dims.nc)}>;
  for (var i = 0u; i < NC; i++) { c[i] = subjects[sbase + ${S.covariates}u + i]; }
  var e: array<f32, ${a(dims.ne)}>;
  for (var i = 0u; i < NE; i++) { e[i] = errp[i]; }

  // Subject-level quantities: input lags and bioavailabilities, model dose events, breakpoints.
  var lag: array<f32, ${a(dims.ninputs)}>;
  var bio: array<f32, ${a(dims.ninputs)}>;
  var dlag: array<f32, ${a(dims.ninputs * dims.ns)}>;
  var dbio: array<f32, ${a(dims.ninputs * dims.ns)}>;
  for (var i = 0u; i < NINPUTS; i++) {
    lag[i] = nlm_inputLag(i, p, c);
    bio[i] = nlm_inputBioavailability(i, p, c);
    let gl = ${arr('inputLagDp', 'i, p, c')};
    let gb = ${arr('inputBioavailabilityDp', 'i, p, c')};
    for (var k = 0u; k < NS; k++) { dlag[i * NS + k] = gl[k]; dbio[i * NS + k] = gb[k]; }
  }
  var idur: array<f32, ${a(dims.ninputs)}>;
  var irate: array<f32, ${a(dims.ninputs)}>;
  var didur: array<f32, ${a(dims.ninputs * dims.ns)}>;
  var dirate: array<f32, ${a(dims.ninputs * dims.ns)}>;
  for (var i = 0u; i < NINPUTS; i++) {
    idur[i] = nlm_inputDuration(i, p, c);
    irate[i] = nlm_inputRate(i, p, c);
    let gd = ${arr('inputDurationDp', 'i, p, c')};
    let gr = ${arr('inputRateDp', 'i, p, c')};
    for (var k = 0u; k < NS; k++) { didur[i * NS + k] = gd[k]; dirate[i * NS + k] = gr[k]; }
  }
  for (var s = 0u; s < MAXINF; s++) { inf_end[s] = INF; }
  refresh_rates();
  var mdTime: array<f32, ${a(dims.ndoses)}>;
  var mdDone: array<bool, ${a(dims.ndoses)}>;
  for (var k = 0u; k < NDOSES; k++) { mdTime[k] = nlm_doseTime(k, p, c); mdDone[k] = false; }
  // Breakpoints: done once reached (one before 0 or not a number never is a stop); ∂τ/∂p for their jumps.
  var bp: array<f32, ${a(dims.nbreakpoints)}>;
  var bpDone: array<bool, ${a(dims.nbreakpoints)}>;
  var dbp: array<f32, ${a(dims.nbreakpoints * dims.ns)}>;
  ${dims.nbreakpoints > 0 ? `let bps = ${arr('breakpoints', 'p, c')};\n  for (var k = 0u; k < NBP; k++) { bp[k] = bps[k]; bpDone[k] = !(bp[k] >= 0.0); }` : ''}
  ${dims.nbreakpoints > 0 && dims.ns > 0 ? `let dbps = ${arr('breakpointsDp', 'p, c')};\n  for (var m = 0u; m < NBP * NS; m++) { dbp[m] = dbps[m]; }` : ''}
  // Next unapplied data event of each stream: one per input (doses of one input stay in time order after the lag
  // shift), and the resets (stream NINPUTS, no lag).
  var dptr: array<u32, ${dims.ninputs + 1}>;
  for (var i = 0u; i <= NINPUTS; i++) { dptr[i] = 0u; }

  // The covariates over time (runtime/engine/engine-data.ts, CovariateTrack): point kc holds now; cv its values
  // at the point. The subject-level quantities above read c, the first row's.
  let cpb = subj * (1u + params.maxCov * CPS);
  let ncp = u32(covpts[cpb]);
  var kc = 0u;
  loop {
    if (kc + 1u >= ncp) { break; }
    if (covpts[cpb + 1u + (kc + 1u) * CPS] > 0.0) { break; }
    kc = kc + 1u;
  }
  cov_load(cpb + 1u + kc * CPS);
  var cv = cov_base;

  var y: array<f32, N>;
  initial_state(&y, p, c);
  var t = 0.0;
  var h = 0.0;
  var steps = 0u;
  var errPrev = ${lit(C.minError)};
  var restart = false;
  var st = ST_OK;
  var j = 0u;
  var ll = 0.0;
  var gp: array<f32, ${a(dims.ns)}>;
  var ge: array<f32, ${a(dims.ne)}>;
  let obase = subj * params.maxObs * ${L.obsStride}u;
  let dbase = subj * params.maxDoses * ${L.doseStride}u;

  loop {
    // The next stop: observation, data dose (shifted by its input's lag), reset, model dose, or breakpoint.
    var tnext = INF;
    if (j < nobs) { tnext = obs[obase + j * ${L.obsStride}u + ${O.time}u]; }
    for (var i = 0u; i <= NINPUTS; i++) {
      var q = dptr[i];
      loop {
        if (q >= ndoses) { break; }
        if (u32(doses[dbase + q * ${L.doseStride}u + ${D.input}u]) == i) { break; }
        q = q + 1u;
      }
      dptr[i] = q;
      let slag = select(0.0, lag[min(i, ${a(dims.ninputs) - 1}u)], i < NINPUTS);
      if (q < ndoses) { tnext = min(tnext, ${laggedTime.value(`doses[dbase + q * ${L.doseStride}u + ${D.time}u]`, 'slag')}); }
    }
    for (var k = 0u; k < NDOSES; k++) { if (!mdDone[k]) { tnext = min(tnext, mdTime[k]); } }
    for (var k = 0u; k < NBP; k++) { if (!bpDone[k]) { tnext = min(tnext, bp[k]); } }
    for (var q = 0u; q < MAXINF; q++) { tnext = min(tnext, inf_end[q]); }
    // Covariate points: the next one, and the current one while it lies ahead (a line that starts later).
    if (kc + 1u < ncp) { tnext = min(tnext, covpts[cpb + 1u + (kc + 1u) * CPS]); }
    let tk = covpts[cpb + 1u + kc * CPS];
    if (tk > t) { tnext = min(tnext, tk); }
    if (tnext >= INF) { break; }
    tnext = max(tnext, t);

    // Integrate to exactly tnext with the adaptive embedded pair and the PI controller.
    if (tnext > t) {
      st = advance(&y, &t, &h, &steps, &errPrev, restart, tnext, p, cv);
      restart = false;
      if (st != ST_OK) { break; }
    }

    // A covariate's new value holds from its row on: move to the point that holds at t (the observations see it).
    loop {
      if (kc + 1u >= ncp) { break; }
      if (covpts[cpb + 1u + (kc + 1u) * CPS] > t) { break; }
      kc = kc + 1u;
    }
    cov_load(cpb + 1u + kc * CPS);
    cv = cov_base;
    let ct = cov_at(t, cv);

    var dosed = false;
${EVENT_ORDER.map((phase) => phases[phase].trimEnd()).join('\n\n')}
    // An event changed the state or the RHS: the next step is at most the starting step here.
    if (dosed) { restart = true; }
  }

  // The host marks rows with a non-zero status as failed; their results are not read.
  status[row] = st;
  if (params.mode == 1u) {
    let rb = row * ${L.likelihoodStride}u;
    results[rb] = ll;
    for (var k = 0u; k < NS; k++) { results[rb + 1u + k] = gp[k]; }
    for (var m = 0u; m < NE; m++) { results[rb + 1u + NS + m] = ge[m]; }
  }
}
`;
}
