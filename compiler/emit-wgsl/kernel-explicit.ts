/** The explicit Runge–Kutta stepper of the kernel: stages unrolled from a Butcher tableau. */
import type { ButcherTableau } from '../solvers/butcher-tableau.js';
import { lit, type StepperCode } from './kernel-stepper.js';

/** Unrolled stage code: k_i = F(t + c_i h, y + h Σ a_ij k_j), then the solution and the error estimate. */
function stages(t: ButcherTableau): string {
  const out: string[] = [];
  for (let i = 1; i < t.c.length; i++) {
    const terms = t.a[i]!.map((a, j) => (a === 0 ? '' : `${lit(a)} * k${j}[m]`)).filter(Boolean);
    out.push(`      for (var m = 0u; m < N; m++) { ys[m] = y[m] + h * (${terms.join(' + ') || '0.0'}); }`);
    out.push(`      k${i} = aug_rhs(min(t + ${lit(t.c[i]!)} * h, tleft), ys, p, c);`);
  }
  const sol = t.b.map((b, i) => (b === 0 ? '' : `${lit(b)} * k${i}[m]`)).filter(Boolean).join(' + ');
  const err = t.b.map((b, i) => (b - t.bHat[i]! === 0 ? '' : `${lit(b - t.bHat[i]!)} * k${i}[m]`)).filter(Boolean).join(' + ');
  out.push(`      for (var m = 0u; m < N; m++) { yn[m] = y[m] + h * (${sol}); en[m] = h * (${err}); }`);
  return out.join('\n');
}

/** The explicit Runge–Kutta stepper: k0 = F(t, y) at each new point (FSAL: the last stage of the taken step). */
export function explicitStepper(tableau: ButcherTableau): StepperCode {
  return {
    helpers: '',
    declarations: tableau.c.map((_, i) => `  var k${i}: array<f32, N>;`).join('\n'),
    segmentStart: '      k0 = aug_rhs(t, y, p, c);',
    attempt: stages(tableau).replace(/\bh\b/g, 'hs'),
    norm: 'error_norm(en, y, yn)',
    onAccept: tableau.fsal ? `k0 = k${tableau.c.length - 1};` : 'k0 = aug_rhs(t, y, p, c);',
    q: Math.min(tableau.order, tableau.embeddedOrder) + 1,
  };
}
