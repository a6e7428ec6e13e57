/**
 * The f64 TypeScript back end's model module. Every model function takes its inputs as arrays and writes its
 * results into `out` (allocation-free, for the CPU engine's inner loop); indexed functions take the case index
 * first. The module also exports `dims` and `names` so the runtime needs nothing else.
 *
 * The text is put together directly, line by line, in the layout a TypeScript formatter gives it (2-space
 * indent): a large model's module has tens of thousands of statements, which a formatter pass (ts-morph's
 * `formatText`) takes minutes and gigabytes over, and which must never be spread into a call's arguments.
 */
import { builtins } from '../../stdlib/builtins.js';
import { jsHelperSources, tsHelperSources } from '../../stdlib/special-functions.js';
import { topoOrder, type NodeId } from '../ir/expr.js';
import type { ModelIR } from '../ir/model-ir.js';
import type { ModelDerivatives } from '../diff/model-derivatives.js';
import { augmentedRhs, augmentedRoots } from '../emit/augmented-rhs.js';
import { dimensions, doseEvents, modelFunctions, type ArgKind, type ModelFunction } from '../emit/model-functions.js';
import { straightLine } from '../emit/straight-line.js';
import { dormandPrince5 } from '../solvers/butcher-tableau.js';
import { fusedStepText } from './emit-step.js';
import { functionHeader, printTs, type Param } from './print-ts.js';

const argType: Record<ArgKind, string> = { t: 'number', f: 'number', x: 'ArrayLike<number>', p: 'ArrayLike<number>', c: 'ArrayLike<number>', phi: 'ArrayLike<number>', eta: 'ArrayLike<number>', e: 'ArrayLike<number>' };

/** Appends one case's statements to `lines`, each indented by `indent`. */
function body(ir: ModelIR, caseRoots: readonly NodeId[], indent: string, lines: string[]): void {
  const code = straightLine(ir.builder.pool, caseRoots, printTs);
  for (const [n, e] of code.temporaries) lines.push(`${indent}const ${n} = ${e};`);
  code.results.forEach((r, i) => lines.push(`${indent}out[${i}] = ${r};`));
}

const OUT: Param = ['out', 'Float64Array | number[]'];

function functionText(ir: ModelIR, fn: ModelFunction, typed: boolean): string {
  const params: Param[] = [...(fn.indexed ? [['index', 'number'] as const] : []), ...fn.args.map((a): Param => [a, argType[a]]), OUT];
  const lines = [`/** ${fn.doc} */`, functionHeader(fn.name, params, typed)];
  if (!fn.indexed) {
    body(ir, fn.cases[0]!, '  ', lines);
  } else {
    lines.push('  switch (index) {');
    fn.cases.forEach((roots, k) => {
      lines.push(`    case ${k}: {`);
      body(ir, roots, '      ', lines);
      lines.push('      return;', '    }', '');
    });
    lines.push(`    default: throw new RangeError(\`${fn.name}: no case \${index}\`);`, '  }');
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * The CPU integrator's derivative of y = [x; S] (compiler/emit/augmented-rhs.ts): one straight-line function over
 * the nonzero entries of ∂f/∂x and ∂f/∂p, the row products as loops over the ns columns. x is read from y's first
 * nx entries (the IR indexes x only below nx).
 */
function augmentedText(ir: ModelIR, d: ModelDerivatives, typed: boolean): string {
  const a = augmentedRhs(ir, d);
  const code = straightLine(ir.builder.pool, augmentedRoots(a), printTs);
  const { nx, ns } = a;
  const lines = [
    '/** dy/dt of y = [x; S], nx + nx·ns: f + rate, and (∂f/∂x) S + ∂f/∂p + rateDp over the nonzero entries. */',
    functionHeader('sensitivityRhs', [['t', 'number'], ['x', argType.x], ['p', argType.p], ['c', argType.c], ['rate', 'ArrayLike<number>'], ['rateDp', 'ArrayLike<number>'], OUT], typed),
  ];
  for (const [n, e] of code.temporaries) lines.push(`  const ${n} = ${e};`);
  let next = 0;
  const result = (): string => code.results[next++]!;
  a.rhs.forEach((_, i) => lines.push(`  out[${i}] = ${result()} + rate[${i}];`));
  if (ns > 0) {
    a.jacobianRows.forEach((row, i) => {
      const base = nx + i * ns;
      const consts = row.map((e) => `  const j${i}_${e.column} = ${result()};`);
      const terms = row.map((e) => ` + j${i}_${e.column} * x[${nx + e.column * ns} + k]`).join('');
      lines.push(...consts, `  for (let k = 0; k < ${ns}; k++) out[${base} + k] = rateDp[${i * ns} + k]${terms};`);
    });
    a.parameterRows.forEach((row, i) => {
      for (const e of row) lines.push(`  out[${nx + i * ns + e.column}] += ${result()};`);
    });
  }
  lines.push('}');
  return lines.join('\n');
}

/** Helper functions the module's built-ins need. */
function helpersUsed(ir: ModelIR, fns: readonly ModelFunction[], typed: boolean): string[] {
  const names = new Set<string>();
  const roots = fns.flatMap((f) => f.cases.flat());
  for (const id of topoOrder(ir.builder.pool, roots)) {
    const n = ir.builder.node(id);
    if (n.op === 'call') for (const h of builtins.get(n.fn)?.tsHelpers ?? []) names.add(h);
  }
  const sources = typed ? tsHelperSources : jsHelperSources;
  return [...names].sort().map((h) => sources[h]!);
}

/** A JSON value as the formatter lays out an object literal: `{ "a": 1, "b": ["x", "y"] }`, `[]`, `{}`. */
function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${literal(x)}`).join(', ')} }`;
  }
  return JSON.stringify(v);
}

/**
 * Emits the model module's source text: TypeScript (the `ts` artifact), or with `typed: false` the same module as
 * JavaScript, which the runtime imports without a TypeScript compiler.
 */
export function emitTs(ir: ModelIR, d: ModelDerivatives, { typed = true }: { readonly typed?: boolean } = {}): string {
  const fns = modelFunctions(ir, d);
  const events = doseEvents(ir, d);
  const names = {
    states: ir.states.map((s) => s.name), parameters: ir.parameters.map((p) => p.name), covariates: ir.covariates.map((c) => c.name),
    randomEffects: ir.randomEffects.map((r) => r.name), errorParameters: ir.errorParameters.map((e) => e.name), outputs: ir.outputs.map((o) => o.name),
    inputs: ir.inputs.map((i) => i.name), sensitivityParameters: ir.sensitivityParameters.map((k) => ir.parameters[k]!.name),
  };
  const head = [
    `// Generated by nlmc from the model '${ir.name}'. Do not edit: change the .nlm file and rebuild.`,
    '/* eslint-disable */',
    '/** Sizes of the index spaces. */',
    `export const dims = ${literal(dimensions(ir, events))};`,
    '/** Names in index order. */',
    `export const names = ${literal(names)};`,
    '/** Target state of each model-declared dose event. */',
    `export const doseTargets = ${literal(events.map((e) => e.target))};`,
  ].join('\n');
  const helpers = helpersUsed(ir, fns, typed);
  const blocks = [head + (helpers.length > 0 ? `\n${helpers.join('\n\n')}` : '')];
  for (const f of fns) blocks.push(functionText(ir, f, typed));
  blocks.push(augmentedText(ir, d, typed));
  // The explicit method's step, fused with the model (emit-step.ts), where the system is small enough.
  for (const withSensitivities of [true, false]) {
    const step = fusedStepText(ir, d, dormandPrince5, withSensitivities, typed);
    if (step) blocks.push(step);
  }
  return `${blocks.join('\n\n')}\n`;
}
