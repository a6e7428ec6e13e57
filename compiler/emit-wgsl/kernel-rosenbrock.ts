/** The Rosenbrock-W stepper of the kernel: stages unrolled from a RosenbrockTableau, with an nx × nx LU in WGSL. */
import type { ModelDimensions } from '../emit/model-functions.js';
import type { RosenbrockTableau } from '../solvers/rosenbrock-tableau.js';
import { lit, type StepperCode } from './kernel-stepper.js';

/** √ε of f32 (ε = 2⁻²³): the relative step of the forward differences of the Rosenbrock stepper. */
const SQRT_EPS_F32 = Math.sqrt(2 ** -23);

/**
 * Σ coefficient · k_j[m] over the non-zero coefficients, or '' when all are zero. Coefficients below 1e-14 in
 * magnitude are rounding residue of the tableau's derived sums (γ_4 of ROS34PW2 is 0 up to 6e-17) and are left out.
 */
function combination(coefficients: readonly number[], k: (j: number) => string): string {
  let out = '';
  coefficients.forEach((v, j) => {
    if (Math.abs(v) < 1e-14) return;
    const term = Math.abs(v) === 1 ? k(j) : `${lit(Math.abs(v))} * ${k(j)}`;
    out = out === '' ? (v < 0 ? `-${term}` : term) : `${out} ${v < 0 ? '-' : '+'} ${term}`;
  });
  return out;
}

/**
 * The Rosenbrock-W stepper (Hairer & Wanner's form, see rosenbrock-tableau.ts), the kernel twin of the CPU's
 * RosenbrockStepper with its default 'lower' coupling (runtime/engine/cpu/rosenbrock.ts):
 *
 *   (I − hγW) k_i = h F(t + α_i h, y + Σ α_ij k_j) + h W Σ γ_ij k_j + h² γ_i w,   y₁ = y + Σ b_i k_i
 *
 * for y = [x; S] with W = [[J, 0], [H, J]] (J = ∂f/∂x from nlm_rhsDx, H = ∂(J S + ∂f/∂p)/∂x applied along the
 * needed direction by a forward difference of F) and w = [∂f/∂t (nlm_rhsDt); ∂(J S + ∂f/∂p)/∂t by a forward
 * difference in t]. One nx × nx LU of I − hγJ per attempted step (dense, partial pivoting) serves the state and
 * every sensitivity column: the state block is solved first, its k_x gives the direction of the H term, then the
 * sensitivity columns. F(t, y), J and w are computed once per point and kept while rejected steps are retried.
 * The finite-difference steps are √ε of f32 (relative), not of f64; their O(√ε) error only changes W and w, which
 * a W-method tolerates without losing order.
 *
 * f32 time: a few steps after a breakpoint at t = 250 the step is only tens of ulps of t, and the stage times
 * t + α_i h round by up to half an ulp. ROS34PW2's error weights b − bHat are O(1) (Dormand–Prince's are O(1e-2)),
 * so that rounding showed up in the error estimate as an error that does not shrink with h, and the step size
 * collapsed (StepTooSmall on antibody-times at rtol 1e-6, atol 1e-10). Hence: the step is taken as hr, the
 * increment the f32 time grid holds (t + hr is exactly the time the loop moves to), and each stage adds
 * (intended − evaluated time) · w to its F, a first-order correction with the w the method already has.
 */
export function rosenbrockStepper(tableau: RosenbrockTableau, dims: ModelDimensions, arr: (name: string, args: string) => string): StepperCode {
  const a = (n: number): number => Math.max(1, n);
  const nx2 = a(dims.nx * dims.nx);
  const nxa = a(dims.nx);
  const s = tableau.b.length;
  const sens = dims.ns > 0;
  const pc = `p: array<f32, ${a(dims.np)}>, c: array<f32, ${a(dims.nc)}>`;
  const helpers = `// Rosenbrock-W (${tableau.name}) helpers. √ε of f32, the relative step of the forward differences.
const RB_SQRT_EPS: f32 = ${lit(Math.fround(SQRT_EPS_F32))};

// In-place LU with partial pivoting of the NX × NX row-major matrix: L (unit diagonal) below, U on and above;
// at step k rows k and piv[k] were swapped. False when a pivot is zero or not finite. The loops all run over the
// full compile-time size with the triangle as a guard, and every index is a loop counter, never data (the pivot
// row is found by comparison): shader compilers unroll such loops completely, the guards fold away, and the
// arrays stay in registers instead of being indexed in memory.
fn rb_lu_factor(m: ptr<function, array<f32, ${nx2}>>, piv: ptr<function, array<u32, ${nxa}>>) -> bool {
  for (var k = 0u; k < NX; k++) {
    var pk = k;
    var best = abs((*m)[k * NX + k]);
    for (var i = 0u; i < NX; i++) {
      let v = abs((*m)[i * NX + k]);
      if (i > k && v > best) { best = v; pk = i; }
    }
    if (!(best > 0.0) || best > 3.0e38) { return false; }
    (*piv)[k] = pk;
    for (var i = 0u; i < NX; i++) {
      if (i > k && i == pk) {
        for (var j = 0u; j < NX; j++) {
          let tmp = (*m)[k * NX + j];
          (*m)[k * NX + j] = (*m)[i * NX + j];
          (*m)[i * NX + j] = tmp;
        }
      }
    }
    let pivot = (*m)[k * NX + k];
    for (var i = 0u; i < NX; i++) {
      if (i > k) {
        let l = (*m)[i * NX + k] / pivot;
        (*m)[i * NX + k] = l;
        for (var j = 0u; j < NX; j++) {
          if (j > k) { (*m)[i * NX + j] = (*m)[i * NX + j] - l * (*m)[k * NX + j]; }
        }
      }
    }
  }
  return true;
}

// Solves with the factors for the NX × width block of b starting at offset (entry (i, q) at offset + i·width + q),
// in place, column by column; the row swaps are replayed by comparison. Loops as in rb_lu_factor.
fn rb_lu_solve(m: ptr<function, array<f32, ${nx2}>>, piv: ptr<function, array<u32, ${nxa}>>, b: ptr<function, array<f32, N>>, offset: u32, width: u32) {
  for (var q = 0u; q < width; q++) {
    var w: array<f32, ${nxa}>;
    for (var i = 0u; i < NX; i++) { w[i] = (*b)[offset + i * width + q]; }
    for (var k = 0u; k < NX; k++) {
      let pk = (*piv)[k];
      for (var i = 0u; i < NX; i++) {
        if (i > k && i == pk) { let tmp = w[k]; w[k] = w[i]; w[i] = tmp; }
      }
    }
    for (var i = 0u; i < NX; i++) {
      var acc = w[i];
      for (var j = 0u; j < NX; j++) { if (j < i) { acc = acc - (*m)[i * NX + j] * w[j]; } }
      w[i] = acc;
    }
    for (var r = 0u; r < NX; r++) {
      let i = NX - 1u - r;
      var acc = w[i];
      for (var j = 0u; j < NX; j++) { if (j > i) { acc = acc - (*m)[i * NX + j] * w[j]; } }
      w[i] = acc / (*m)[i * NX + i];
    }
    for (var i = 0u; i < NX; i++) { (*b)[offset + i * width + q] = w[i]; }
  }
}

// diag(J, …, J) u: J applied to the state block and to each sensitivity column.
fn rb_apply_w(jac: ptr<function, array<f32, ${nx2}>>, u: ptr<function, array<f32, N>>) -> array<f32, N> {
  var out: array<f32, N>;
  for (var i = 0u; i < NX; i++) {
    var acc = 0.0;
    for (var j = 0u; j < NX; j++) { acc = acc + (*jac)[i * NX + j] * (*u)[j]; }
    out[i] = acc;
    for (var q = 0u; q < NS; q++) {
      var accs = 0.0;
      for (var j = 0u; j < NX; j++) { accs = accs + (*jac)[i * NX + j] * (*u)[NX + j * NS + q]; }
      out[NX + i * NS + q] = accs;
    }
  }
  return out;
}

// k[NX…N) += hs · H · dir with H = ∂(J S + ∂f/∂p)/∂x at (t, y), by a forward difference of F along [dir; 0]:
// (F(t, y + ε[dir; 0]) − F(t, y)) / ε, ε·max|dir| = √ε_f32 · max(1, max|x|).
fn rb_coupling(k: ptr<function, array<f32, N>>, t: f32, y: array<f32, N>, f0: array<f32, N>, dir: array<f32, ${nxa}>, hs: f32, ${pc}) {
  var vmax = 0.0;
  var xmax = 0.0;
  for (var i = 0u; i < NX; i++) { vmax = max(vmax, abs(dir[i])); xmax = max(xmax, abs(y[i])); }
  if (!(vmax > 0.0) || vmax > 3.0e38) { return; }
  let eps = RB_SQRT_EPS * max(1.0, xmax) / vmax;
  var yp = y;
  for (var i = 0u; i < NX; i++) { yp[i] = y[i] + eps * dir[i]; }
  let fp = aug_rhs(t, yp, p, c);
  let sc = hs / eps;
  for (var m = NX; m < N; m++) { (*k)[m] = (*k)[m] + sc * (fp[m] - f0[m]); }
}`;
  const declarations = [
    ...tableau.b.map((_, i) => `  var k${i}: array<f32, N>;`),
    '  // Rosenbrock-W: F, J and w at the current point (valid while rb_fresh), the matrix, its factors and pivots.',
    '  var rb_f0: array<f32, N>;',
    '  var rb_fs: array<f32, N>;',
    '  var rb_w: array<f32, N>;',
    '  var rb_u: array<f32, N>;',
    `  var rb_jac: array<f32, ${nx2}>;`,
    `  var rb_lu: array<f32, ${nx2}>;`,
    `  var rb_piv: array<u32, ${nxa}>;`,
    '  var rb_fresh = false;',
  ].join('\n');

  const I = '        ';
  const lines: string[] = [];
  lines.push(`${I}if (!rb_fresh) {`);
  lines.push(`${I}  rb_f0 = aug_rhs(t, y, p, c);`);
  lines.push(`${I}  var xs: array<f32, ${nxa}>;`);
  lines.push(`${I}  for (var i = 0u; i < NX; i++) { xs[i] = y[i]; }`);
  lines.push(`${I}  rb_jac = ${arr('rhsDx', 't, xs, p, c')};`);
  lines.push(`${I}  let ft = ${arr('rhsDt', 't, xs, p, c')};`);
  lines.push(`${I}  for (var i = 0u; i < NX; i++) { rb_w[i] = ft[i]; }`);
  if (sens) {
    lines.push(`${I}  // ∂(J S + ∂f/∂p)/∂t by a forward difference in t, short of the stop (the side being integrated).`);
    lines.push(`${I}  for (var m = NX; m < N; m++) { rb_w[m] = 0.0; }`);
    lines.push(`${I}  let t1 = min(t + RB_SQRT_EPS * max(1.0, abs(t)), tleft);`);
    lines.push(`${I}  if (t1 > t) {`);
    lines.push(`${I}    let f1 = aug_rhs(t1, y, p, c);`);
    lines.push(`${I}    let dtd = t1 - t;`);
    lines.push(`${I}    for (var m = NX; m < N; m++) { rb_w[m] = (f1[m] - rb_f0[m]) / dtd; }`);
    lines.push(`${I}  }`);
  }
  lines.push(`${I}  rb_fresh = true;`);
  lines.push(`${I}}`);
  lines.push(`${I}// The step the f32 time grid holds: t + hr is the time the shared loop moves to (min keeps the compiler`);
  lines.push(`${I}// from folding (t + hs) − t into hs).`);
  lines.push(`${I}let hr = min(t + hs, tnext) - t;`);
  lines.push(`${I}// I − hγJ and its LU; a singular or non-finite matrix fails the attempt (the step shrinks).`);
  lines.push(`${I}for (var m = 0u; m < NX * NX; m++) { rb_lu[m] = -${lit(tableau.gamma)} * hr * rb_jac[m]; }`);
  lines.push(`${I}for (var i = 0u; i < NX; i++) { rb_lu[i * NX + i] = rb_lu[i * NX + i] + 1.0; }`);
  lines.push(`${I}let rb_ok = rb_lu_factor(&rb_lu, &rb_piv);`);
  lines.push(`${I}if (rb_ok) {`);
  const J = `${I}  `;
  for (let i = 0; i < s; i++) {
    const alphaRow = tableau.alpha[i]!;
    const gammaRow = tableau.gammaLower[i]!;
    lines.push(`${J}// Stage ${i}${i > 0 ? ` at t + ${lit(tableau.c[i]!)} h; the part of that time f32 cannot hold (dt${i}) is added as dt${i} · w` : ''}.`);
    let F = 'rb_f0';
    const shift = combination(alphaRow, (j) => `k${j}[m]`);
    if (shift !== '') {
      lines.push(`${J}for (var m = 0u; m < N; m++) { ys[m] = y[m] + ${shift.startsWith('-') ? `(${shift})` : shift}; }`);
      lines.push(`${J}let ts${i} = min(t + ${lit(tableau.c[i]!)} * hr, tleft);`);
      lines.push(`${J}rb_fs = aug_rhs(ts${i}, ys, p, c);`);
      lines.push(`${J}let dt${i} = ${lit(tableau.c[i]!)} * hr - (ts${i} - t);`);
      lines.push(`${J}for (var m = 0u; m < N; m++) { rb_fs[m] = rb_fs[m] + dt${i} * rb_w[m]; }`);
      F = 'rb_fs';
    }
    const coupled = combination(gammaRow, (j) => `k${j}[m]`);
    const wTerm = combination([tableau.gammaSum[i]!], () => 'hr * hr * rb_w[m]');
    const tTerm = wTerm === '' ? '' : wTerm.startsWith('-') ? ` - ${wTerm.slice(1)}` : ` + ${wTerm}`;
    if (coupled !== '') {
      lines.push(`${J}for (var m = 0u; m < N; m++) { rb_u[m] = ${coupled}; }`);
      lines.push(`${J}let wu${i} = rb_apply_w(&rb_jac, &rb_u);`);
      lines.push(`${J}for (var m = 0u; m < N; m++) { k${i}[m] = hr * (${F}[m] + wu${i}[m])${tTerm}; }`);
    } else {
      lines.push(`${J}for (var m = 0u; m < N; m++) { k${i}[m] = hr * ${F}[m]${tTerm}; }`);
    }
    lines.push(`${J}rb_lu_solve(&rb_lu, &rb_piv, &k${i}, 0u, 1u);`);
    if (sens) {
      lines.push(`${J}var dir${i}: array<f32, ${nxa}>;`);
      lines.push(`${J}for (var i = 0u; i < NX; i++) { dir${i}[i] = ${coupled !== '' ? 'rb_u[i] + ' : ''}${lit(tableau.gamma)} * k${i}[i]; }`);
      lines.push(`${J}rb_coupling(&k${i}, t, y, rb_f0, dir${i}, hr, p, c);`);
      lines.push(`${J}rb_lu_solve(&rb_lu, &rb_piv, &k${i}, NX, NS);`);
    }
  }
  const sol = combination(tableau.b, (i) => `k${i}[m]`);
  const err = combination(tableau.b.map((b, i) => b - tableau.bHat[i]!), (i) => `k${i}[m]`);
  lines.push(`${J}for (var m = 0u; m < N; m++) { yn[m] = y[m] + (${sol}); en[m] = ${err}; }`);
  lines.push(`${I}}`);
  return {
    helpers,
    declarations,
    segmentStart: '      rb_fresh = false;',
    attempt: lines.join('\n'),
    norm: 'select(3.4e38, error_norm(en, y, yn), rb_ok)',
    onAccept: 'rb_fresh = false;',
    q: Math.min(tableau.order, tableau.embeddedOrder) + 1,
  };
}
