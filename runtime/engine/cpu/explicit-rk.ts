/**
 * One step of an explicit embedded Runge–Kutta method from a Butcher tableau, on f64 arrays. Allocation-free:
 * the workspace is created once per system size.
 *
 * The step is straight-line code generated from the tableau once per tableau (`compileStep`): the coefficients are
 * literals, zero entries are left out, and the loops run over the system only. The sums are formed in the order of
 * the generic loop (j = 0, 1, … from 0), so the arithmetic is the loop's: a + 0·k is a for every finite k.
 */
import type { ButcherTableau } from '../../../compiler/solvers/butcher-tableau.js';

/** dy/dt = f(t, y), written into `out`. */
export type Derivative = (t: number, y: Float64Array, out: Float64Array) => void;

/** The generated step: stages into k (k[0] must hold f(t, y) when `firstValid`), the solution, the error estimate. */
type StepFn = (f: Derivative, t: number, y: Float64Array, h: number, yNew: Float64Array, err: Float64Array, k: Float64Array[], stage: Float64Array, n: number, firstValid: boolean) => void;

export class ExplicitRkStepper {
  readonly k: Float64Array[];
  private readonly stage: Float64Array;
  /** Whether k[0] holds f at the current point (FSAL reuse). */
  private firstStageValid = false;
  private readonly stepFn: StepFn;

  constructor(readonly tableau: ButcherTableau, readonly n: number) {
    this.k = tableau.c.map(() => new Float64Array(n));
    this.stage = new Float64Array(n);
    this.stepFn = compileStep(tableau);
  }

  /** Forget the cached first stage: the RHS changed (a dose, a breakpoint) or the state was modified. */
  invalidate(): void {
    this.firstStageValid = false;
  }

  /**
   * Attempts a step of size h from (t, y): writes the new solution to `yNew` and the error estimate to `err`.
   * Call `accept()` if the step is taken, so the FSAL stage is reused.
   */
  step(f: Derivative, t: number, y: Float64Array, h: number, yNew: Float64Array, err: Float64Array): void {
    this.stepFn(f, t, y, h, yNew, err, this.k, this.stage, this.n, this.firstStageValid);
  }

  /** The step was accepted: with FSAL the last stage is f at the new point (the arrays swap places, nothing is copied). */
  accept(): void {
    if (this.tableau.fsal) {
      const k = this.k;
      const last = k[k.length - 1]!;
      k[k.length - 1] = k[0]!;
      k[0] = last;
      this.firstStageValid = true;
    } else {
      this.firstStageValid = false;
    }
  }
}

const compiled = new WeakMap<ButcherTableau, StepFn>();

/**
 * The step of `tableau` as a function. Stage i: stage = y + h·(a_i0 k0 + a_i1 k1 + …), k_i = f(t + c_i h, stage);
 * then yNew = y + h·Σ b_i k_i and err = h·Σ (b_i − bHat_i) k_i. When the last stage's row equals b and b_last = 0
 * (FSAL), the last stage point is yNew itself, so it is written there and not formed twice.
 */
export function compileStep(tableau: ButcherTableau): StepFn {
  const cached = compiled.get(tableau);
  if (cached) return cached;
  const s = tableau.c.length;
  const lit = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
  const sum = (coefficients: readonly number[]): string => {
    const terms = coefficients.flatMap((a, j) => (a === 0 ? [] : [`${lit(a)} * k${j}[m]`]));
    return terms.length === 0 ? '0' : terms.join(' + ');
  };
  const lastIsSolution = tableau.b[s - 1] === 0 && tableau.a[s - 1]!.every((a, j) => a === tableau.b[j]);
  const lines: string[] = [];
  lines.push(...Array.from({ length: s }, (_, i) => `const k${i} = k[${i}];`));
  lines.push('if (!firstValid) f(t, y, k0);');
  for (let i = 1; i < s; i++) {
    const target = i === s - 1 && lastIsSolution ? 'yNew' : 'stage';
    lines.push(`for (let m = 0; m < n; m++) ${target}[m] = y[m] + h * (${sum(tableau.a[i]!)});`);
    lines.push(`f(t + ${lit(tableau.c[i]!)} * h, ${target}, k${i});`);
  }
  const e = tableau.b.map((b, i) => b - tableau.bHat[i]!);
  lines.push('for (let m = 0; m < n; m++) {');
  if (!lastIsSolution) lines.push(`  yNew[m] = y[m] + h * (${sum(tableau.b)});`);
  lines.push(`  err[m] = h * (${sum(e)});`, '}');
  const fn = new Function('f', 't', 'y', 'h', 'yNew', 'err', 'k', 'stage', 'n', 'firstValid', lines.join('\n')) as StepFn;
  compiled.set(tableau, fn);
  return fn;
}
