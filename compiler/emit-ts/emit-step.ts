/**
 * One step of an explicit Runge–Kutta method for one model, as straight-line JavaScript over local variables:
 * the tableau (compiler/solvers/butcher-tableau.ts) unrolled, the model's derivative (the augmented system of
 * compiler/emit/augmented-rhs.ts, or the states alone) printed into every stage, the stage points and stages
 * held in locals instead of arrays. DiffEqGPU's approach on the CPU: the generic stepper spends most of its time
 * on array traffic between stages, not on the model.
 *
 * The arithmetic is the generic stepper's (runtime/engine/cpu/explicit-rk.ts with the module's `sensitivityRhs`):
 * the same sums in the same order, the same left-limit clamp of the stage times, so a fused step equals a generic
 * one to the last bit. Only small systems get one (`FUSED_LIMITS`): the text grows with stages × derivative size.
 */
import type { ButcherTableau } from '../solvers/butcher-tableau.js';
import type { ExprNode, NodeId } from '../ir/expr.js';
import type { ModelIR } from '../ir/model-ir.js';
import type { ModelDerivatives } from '../diff/model-derivatives.js';
import { augmentedRhs, augmentedRoots, type AugmentedRhs } from '../emit/augmented-rhs.js';
import { straightLine } from '../emit/straight-line.js';
import { functionHeader, printTs, type Param } from './print-ts.js';

/** Beyond these sizes the module has no fused step and the runtime uses the generic one. */
export const FUSED_LIMITS = { size: 64, temporaries: 400 } as const;

/** The fused steps a module exports: with sensitivities (y = [x; S]) and for the states alone. */
export const fusedStepNames = { sensitivities: 'explicitStep', states: 'explicitStepStates' } as const;

const lit = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

/** Σ_j a_j k_j over the nonzero coefficients, element m (the generic stepper's `sum`). */
function combination(coefficients: readonly number[], m: number): string {
  const terms = coefficients.flatMap((a, j) => (a === 0 ? [] : [`${lit(a)} * k${j}_${m}`]));
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/** The derivative's text at a stage: statements, then the expression of each element of dy/dt. */
function derivativeText(ir: ModelIR, a: AugmentedRhs, withSensitivities: boolean): { statements: string[]; elements: string[] } {
  const { nx, ns } = a;
  const roots: NodeId[] = withSensitivities ? augmentedRoots(a) : [...a.rhs];
  const print = (n: ExprNode, ref: (id: NodeId) => string): string =>
    n.op === 'var' && n.kind === 'x' ? `z${n.index}` : n.op === 'var' && n.kind === 't' ? 'ts' : printTs(n, ref);
  const code = straightLine(ir.builder.pool, roots, print);
  const statements = code.temporaries.map(([n, e]) => `const ${n} = ${e};`);
  let next = 0;
  const result = (): string => code.results[next++]!;
  const elements = a.rhs.map((_, i) => `${result()} + r${i}`);
  if (!withSensitivities) return { statements, elements };
  const rows = a.jacobianRows.map((row, i) => {
    row.forEach((e) => statements.push(`const j${i}_${e.column} = ${result()};`));
    return row;
  });
  const sens = Array.from({ length: nx * ns }, (_, q) => {
    const i = Math.floor(q / ns);
    const k = q % ns;
    return `d${q}${rows[i]!.map((e) => ` + j${i}_${e.column} * z${nx + e.column * ns + k}`).join('')}`;
  });
  a.parameterRows.forEach((row, i) => {
    for (const e of row) sens[i * ns + e.column] = `${sens[i * ns + e.column]} + ${result()}`;
  });
  return { statements, elements: [...elements, ...sens] };
}

const vector = 'ArrayLike<number>';
const buffer = 'Float64Array | number[]';
const STEP_PARAMS: readonly Param[] = [
  ['t', 'number'], ['y', vector], ['h', 'number'], ['p', vector], ['c', vector], ['rate', vector], ['rateDp', vector], ['tLeft', 'number'], ['firstValid', 'boolean'],
  ['k0', buffer], ['kLast', buffer], ['yNew', buffer], ['err', buffer],
];

/** The text of one fused step, or undefined when the system is beyond FUSED_LIMITS. */
export function fusedStepText(ir: ModelIR, d: ModelDerivatives, tableau: ButcherTableau, withSensitivities: boolean, typed = true): string | undefined {
  const a = augmentedRhs(ir, d);
  const n = withSensitivities ? a.nx + a.nx * a.ns : a.nx;
  if (n > FUSED_LIMITS.size) return undefined;
  const derivative = derivativeText(ir, a, withSensitivities);
  if (derivative.statements.length > FUSED_LIMITS.temporaries) return undefined;
  const s = tableau.c.length;
  const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
  const lastIsSolution = tableau.b[s - 1] === 0 && tableau.a[s - 1]!.every((v, j) => v === tableau.b[j]);
  const name = withSensitivities ? fusedStepNames.sensitivities : fusedStepNames.states;
  const I = '  ';
  const lines = [
    `/** One ${tableau.name} step of dy/dt for y = ${withSensitivities ? '[x; S]' : 'x'} (n = ${n}), fused: k0 holds f(t, y) when firstValid (it is written otherwise), kLast receives the last stage (FSAL). */`,
    functionHeader(name, STEP_PARAMS, typed),
    `${I}${range(n).map((m) => `const y${m} = y[${m}];`).join(' ')}`,
    `${I}${range(a.nx).map((i) => `const r${i} = rate[${i}];`).join(' ')}`,
  ];
  if (withSensitivities) lines.push(`${I}${range(a.nx * a.ns).map((q) => `const d${q} = rateDp[${q}];`).join(' ')}`);
  lines.push(`${I}let ${range(s).flatMap((i) => range(n).map((m) => `k${i}_${m} = 0`)).join(', ')};`);
  const stage = (i: number, point: (m: number) => string, time: string, before: string[] = []): void => {
    lines.push(`${I}{`, ...before.map((l) => `${I}  ${l}`));
    lines.push(`${I}  ${range(n).map((m) => `const z${m} = ${point(m)};`).join(' ')}`);
    lines.push(`${I}  const tt = ${time};`, `${I}  const ts = tt < tLeft ? tt : tLeft;`);
    for (const st of derivative.statements) lines.push(`${I}  ${st}`);
    derivative.elements.forEach((e, m) => lines.push(`${I}  k${i}_${m} = ${e};`));
    lines.push(`${I}}`);
  };
  lines.push(`${I}if (firstValid) {`, `${I}  ${range(n).map((m) => `k0_${m} = k0[${m}];`).join(' ')}`, `${I}} else {`);
  stage(0, (m) => `y${m}`, 't');
  lines.push(`${I}  ${range(n).map((m) => `k0[${m}] = k0_${m};`).join(' ')}`, `${I}}`);
  for (let i = 1; i < s; i++) {
    const point = (m: number): string => `y${m} + h * (${combination(tableau.a[i]!, m)})`;
    if (i === s - 1 && lastIsSolution) {
      lines.push(`${I}${range(n).map((m) => `yNew[${m}] = ${point(m)};`).join(' ')}`);
      stage(i, (m) => `yNew[${m}]`, `t + ${lit(tableau.c[i]!)} * h`);
    } else {
      stage(i, point, `t + ${lit(tableau.c[i]!)} * h`);
    }
  }
  const e = tableau.b.map((b, i) => b - tableau.bHat[i]!);
  for (const m of range(n)) {
    if (!lastIsSolution) lines.push(`${I}yNew[${m}] = y${m} + h * (${combination(tableau.b, m)});`);
    lines.push(`${I}err[${m}] = h * (${combination(e, m)});`);
  }
  if (tableau.fsal) lines.push(`${I}${range(n).map((m) => `kLast[${m}] = k${s - 1}_${m};`).join(' ')}`);
  lines.push('}');
  return lines.join('\n');
}
