/**
 * The kernel's steady state (stdlib/dose-events.ts is the rule, runtime/engine/cpu/solve-trajectory.ts its f64
 * twin): from the initial state, the dose is given and the system integrated over one interval II, period after
 * period on [τ − II, τ], until the change of [x; S] over a period says the geometric tail is within the tolerance
 * (`ss_converged`); then SS = 1 replaces the state by it (the running infusions end) and SS = 2 adds it less the
 * initial state, and S −= f(τ, X) ∂τ/∂p moves the periodic history with the dose time (historyShift, and the
 * period's own jumps doseAmount and inputEdge, of stdlib/jump-rules.ts). The dose itself is given
 * afterwards by the caller, with its usual jumps. The periods see the covariates as at the dose (`c`).
 */
import type { ModelDimensions } from '../emit/model-functions.js';
import { lit } from './kernel-stepper.js';
import { doseAmount, historyShift, inputEdge, InputEdge } from '../../stdlib/jump-rules.js';
import { PI_CONTROL } from '../solvers/step-control.js';

export function steadyStateWgsl(dims: ModelDimensions, arr: (name: string, args: string) => string): string {
  const a = (n: number): number => Math.max(1, n);
  const vs = `array<f32, ${a(dims.ns)}>`;
  return `// The steady state of a dose repeated every ii into tgt: a bolus amt (∂/∂p ddose), or rate R (∂/∂p ddose) for
// D ≤ ii (∂D/∂p dD); dtime is ∂τ/∂p. Returns the status word (0 ok, 1 not settled within SS_MAX_PERIODS or
// the step budget, 4 an input longer than the interval).
fn steady_state(y: ptr<function, array<f32, N>>, tau: f32, kind: u32, ii: f32, tgt: u32, amt: f32, R: f32, ddose: ${vs}, D: f32, dD: ${vs}, dtime: ${vs}, steps: ptr<function, u32>, p: array<f32, ${a(dims.np)}>, c: array<f32, ${a(dims.nc)}>) -> u32 {
  if (!(ii > 0.0)) { return ST_UNSUPPORTED; }
  if (R > 0.0 && !(D <= ii)) { return ST_UNSUPPORTED; }
  let savedRate = inf_rate;
  let savedDrate = inf_drate;
  // The periods see the covariates as at the dose (c): no line.
  let sloped = cov_sloped;
  cov_sloped = false;
  var x0: array<f32, N>;
  initial_state(&x0, p, c);
  var ys = x0;
  let start = tau - ii;
  var previous = INF;
  var st = ST_MAX_STEPS;
  var errPrev = ${lit(PI_CONTROL.minError)};
  for (var n = 1u; n <= SS_MAX_PERIODS; n++) {
    let prev = ys;
    var t = start;
    var h = 0.0;
    for (var m = 0u; m < NX; m++) { inf_rate[m] = 0.0; }
    for (var m = 0u; m < NX * NS; m++) { inf_drate[m] = 0.0; }
    var ok = 0u;
    if (R > 0.0) {
      inf_rate[tgt] = R;
      for (var k = 0u; k < NS; k++) { inf_drate[tgt * NS + k] = ddose[k]; }
    } else {
      ys[tgt] = ys[tgt] + amt;
      for (var k = 0u; k < NS; k++) { ${doseAmount.wgsl('ys', 'tgt', 'ddose[k]', 'k')} }
    }
    // Two segments, [τ − ii, τ − ii + D] while an input runs and on to τ, through one call of advance (the shader
    // compiler inlines each call: one call site keeps the kernel small).
    for (var seg = 0u; seg < 2u; seg++) {
      let running = seg == 0u && R > 0.0;
      let stop = select(tau, start + D, running);
      if (ok == 0u && t < stop) { ok = advance(&ys, &t, &h, steps, &errPrev, false, stop, p, c); }
      if (running) {
        // The end of the input, phase-relative: S_tgt += R ∂D/∂p (the dose time moves the whole history: below).
        for (var k = 0u; k < NS; k++) { ${inputEdge.wgsl('ys', 'tgt', InputEdge.end, 'R', 'dD[k]', 'k')} }
        inf_rate[tgt] = 0.0;
        for (var k = 0u; k < NS; k++) { inf_drate[tgt * NS + k] = 0.0; }
        h = 0.0;
      }
    }
    if (ok != 0u) { st = ok; break; }
    var sum = 0.0;
    for (var m = 0u; m < N; m++) {
      let r = (ys[m] - prev[m]) / (params.atol + params.rtol * abs(ys[m]));
      sum = sum + r * r;
    }
    let delta = sqrt(sum / f32(N));
    if (ss_converged(n, delta, previous)) { st = ST_OK; break; }
    previous = delta;
  }
  inf_rate = savedRate;
  inf_drate = savedDrate;
  cov_sloped = sloped;
  if (st != ST_OK) { return st; }
  if (kind == KIND_SS) {
    *y = ys;
    for (var s = 0u; s < MAXINF; s++) { inf_end[s] = INF; }
    refresh_rates();
  } else {
    for (var m = 0u; m < N; m++) { (*y)[m] = (*y)[m] + ys[m] - x0[m]; }
  }
  if (NS > 0u) {
    var xs: array<f32, ${a(dims.nx)}>;
    for (var i = 0u; i < NX; i++) { xs[i] = ys[i]; }
    let f = ${arr('rhs', 'tau, xs, p, c')};
    for (var i = 0u; i < NX; i++) {
      for (var k = 0u; k < NS; k++) { ${historyShift.wgsl('(*y)', 'f', 'i', 'k', 'dtime[k]')} }
    }
  }
  return ST_OK;
}`;
}
