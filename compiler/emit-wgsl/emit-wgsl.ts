/**
 * WGSL (f32) functions for the model pieces, from the same function list as the TS back end. Arrays are passed
 * by value with sizes fixed at compile time (a zero-size array is declared with one unused element, as WGSL
 * forbids empty arrays). The integrator kernels of the engine call these functions; all names start `nlm_`.
 */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Range } from '../../diagnostics/source-range.js';
import { wgslHelperSources } from '../../stdlib/special-functions.js';
import { topoOrder, type NodeId } from '../ir/expr.js';
import type { ModelIR } from '../ir/model-ir.js';
import type { ModelDerivatives } from '../diff/model-derivatives.js';
import { dimensions, doseEvents, modelFunctions, type ArgKind, type ModelDimensions, type ModelFunction } from '../emit/model-functions.js';
import { augmentedRhs, augmentedRoots } from '../emit/augmented-rhs.js';
import { straightLine } from '../emit/straight-line.js';
import { F32_MAX, wgslPowHelpers, wgslPrinter } from './print-wgsl.js';

export interface WgslResult {
  readonly code: string;
  readonly diagnostics: readonly Diagnostic[];
}

const size = (n: number): number => Math.max(1, n);

function argDecl(a: ArgKind, dims: ModelDimensions): string {
  switch (a) {
    case 't':
    case 'f':
      return `${a}: f32`;
    case 'x':
      return `x: array<f32, ${size(dims.nx)}>`;
    case 'p':
    case 'phi':
      return `${a}: array<f32, ${size(dims.np)}>`;
    case 'c':
      return `c: array<f32, ${size(dims.nc)}>`;
    case 'eta':
      return `eta: array<f32, ${size(dims.neta)}>`;
    case 'e':
      return `e: array<f32, ${size(dims.ne)}>`;
  }
}

/**
 * Appends a case body to `lines`. A large model's body has tens of thousands of lines: they are pushed one by one,
 * never spread into a call's arguments (which overflows the stack: "Maximum call stack size exceeded").
 */
function caseBody(ir: ModelIR, roots: readonly NodeId[], length: number, helpers: Set<string>, indent: string, lines: string[]): void {
  const print = wgslPrinter(helpers, (id) => ir.builder.constValue(id));
  const code = straightLine(ir.builder.pool, roots, print);
  for (const [n, e] of code.temporaries) lines.push(`${indent}let ${n} = ${e};`);
  if (length === 1) {
    lines.push(`${indent}return ${code.results[0] ?? '0.0'};`);
    return;
  }
  lines.push(`${indent}var out: array<f32, ${size(length)}>;`);
  code.results.forEach((r, i) => lines.push(`${indent}out[${i}] = ${r};`));
  lines.push(`${indent}return out;`);
}

function emitFunction(ir: ModelIR, fn: ModelFunction, dims: ModelDimensions, helpers: Set<string>): string {
  const ret = fn.length === 1 ? 'f32' : `array<f32, ${size(fn.length)}>`;
  const params = [...(fn.indexed ? ['index: u32'] : []), ...fn.args.map((a) => argDecl(a, dims))].join(', ');
  const lines = [`// ${fn.doc}`, `fn nlm_${fn.name}(${params}) -> ${ret} {`];
  if (!fn.indexed) {
    caseBody(ir, fn.cases[0]!, fn.length, helpers, '  ', lines);
  } else {
    lines.push('  switch (index) {');
    fn.cases.forEach((roots, k) => {
      lines.push(`    case ${k}u: {`);
      caseBody(ir, roots, fn.length, helpers, '      ', lines);
      lines.push('    }');
    });
    lines.push('    default: {}', '  }');
    lines.push(fn.length === 1 ? '  return 0.0;' : `  return array<f32, ${size(fn.length)}>();`);
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * The kernel's derivative of y = [x; S] (compiler/emit/augmented-rhs.ts, as the TS module's `sensitivityRhs`): one
 * function over the nonzero entries of ∂f/∂x and ∂f/∂p, the row products as loops over the ns columns; x is read
 * from y's first nx entries. Only with sensitivities (ns > 0): without, the kernel adds the input rate to nlm_rhs.
 */
function augmentedFunction(ir: ModelIR, d: ModelDerivatives, dims: ModelDimensions, helpers: Set<string>): string | undefined {
  const a = augmentedRhs(ir, d);
  const { nx, ns } = a;
  if (ns === 0) return undefined;
  const n = nx + nx * ns;
  const base = wgslPrinter(helpers, (id) => ir.builder.constValue(id));
  const print: typeof base = (node, ref) => (node.op === 'var' && node.kind === 'x' ? `y[${node.index}]` : base(node, ref));
  const code = straightLine(ir.builder.pool, augmentedRoots(a), print);
  const lines = [
    '// dy/dt of y = [x; S]: f + rate, and (∂f/∂x) S + ∂f/∂p + rate_dp over the nonzero entries.',
    `fn nlm_sensitivityRhs(t: f32, y: array<f32, ${n}>, p: array<f32, ${size(dims.np)}>, c: array<f32, ${size(dims.nc)}>, rate: array<f32, ${size(nx)}>, rate_dp: array<f32, ${size(nx * ns)}>) -> array<f32, ${n}> {`,
  ];
  for (const [name, e] of code.temporaries) lines.push(`  let ${name} = ${e};`);
  lines.push(`  var out: array<f32, ${n}>;`);
  let next = 0;
  const result = (): string => code.results[next++]!;
  a.rhs.forEach((_, i) => lines.push(`  out[${i}] = ${result()} + rate[${i}];`));
  a.jacobianRows.forEach((row, i) => {
    for (const e of row) lines.push(`  let j${i}_${e.column} = ${result()};`);
    const terms = row.map((e) => ` + j${i}_${e.column} * y[${nx + e.column * ns}u + k]`).join('');
    lines.push(`  for (var k = 0u; k < ${ns}u; k++) { out[${nx + i * ns}u + k] = rate_dp[${i * ns}u + k]${terms}; }`);
  });
  a.parameterRows.forEach((row, i) => {
    for (const e of row) lines.push(`  out[${nx + i * ns + e.column}] = out[${nx + i * ns + e.column}] + ${result()};`);
  });
  lines.push('  return out;', '}');
  return lines.join('\n');
}

/**
 * Constants that f32 cannot hold are errors: the GPU would silently compute with infinity. Each is reported where the
 * source wrote it; constants with no source (made by differentiation or simplification from ones that have one) are
 * echoes and reported only if nothing else is, at `where`.
 */
function checkRange(ir: ModelIR, roots: readonly NodeId[], where: Range, sources: ReadonlyMap<NodeId, Range>): Diagnostic[] {
  const out: Diagnostic[] = [];
  let unplaced: Diagnostic | undefined;
  for (const id of topoOrder(ir.builder.pool, roots)) {
    const n = ir.builder.node(id);
    if (n.op !== 'const' || !(Math.abs(n.value) > F32_MAX)) continue;
    const message = `the value ${n.value} does not fit in f32, which the GPU back end computes in; rescale the model`;
    const range = sources.get(id);
    if (range) out.push(diagnostic('E400', range, message));
    else unplaced ??= diagnostic('E400', where, message);
  }
  return out.length > 0 ? out : unplaced ? [unplaced] : [];
}

/**
 * `where` is the range diagnostics fall back to (the model's name); `sources` maps IR nodes to the source ranges they
 * were lowered from (`LowerResult.sources`).
 */
export function emitWgsl(ir: ModelIR, d: ModelDerivatives, where: Range, sources: ReadonlyMap<NodeId, Range> = new Map()): WgslResult {
  const fns = modelFunctions(ir, d);
  const dims = dimensions(ir, doseEvents(ir, d));
  const helpers = new Set<string>();
  const bodies = fns.map((f) => emitFunction(ir, f, dims, helpers));
  const augmented = augmentedFunction(ir, d, dims, helpers);
  if (augmented) bodies.push(augmented);
  const helperCode = [...helpers].sort().map((h) => wgslHelperSources[h] ?? wgslPowHelpers[h]!);
  const header = [
    `// Generated by nlmc from the model '${ir.name}'. Do not edit: change the .nlm file and rebuild.`,
    `// Dimensions: ${Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `// States: ${ir.states.map((s) => s.name).join(', ')}`,
    `// Parameters: ${ir.parameters.map((p) => p.name).join(', ')}`,
    `// Sensitivity parameters: ${ir.sensitivityParameters.map((k) => ir.parameters[k]!.name).join(', ')}`,
    ...dimsConstants(dims),
  ];
  const diagnostics = checkRange(ir, fns.flatMap((f) => f.cases.flat()), where, sources);
  const tooLarge = largestArray(fns, dims);
  if (tooLarge.size > WGSL_MAX_ARRAY) {
    diagnostics.push(diagnostic('W401', where, `the GPU back end cannot hold this model: nlm_${tooLarge.fn} ${tooLarge.what} ${tooLarge.size} values, and a WGSL array holds at most ${WGSL_MAX_ARRAY}; it runs on the CPU back end (--backend cpu)`));
  }
  return { code: [...header, '', ...helperCode, '', ...bodies, ''].join('\n'), diagnostics };
}

/** The most elements a WGSL array may have (Dawn/Tint: "array count must be less than 65536"). */
export const WGSL_MAX_ARRAY = 65535;

/** The largest array a model function takes or returns. */
function largestArray(fns: readonly ModelFunction[], dims: ModelDimensions): { fn: string; what: string; size: number } {
  const argSize: Record<ArgKind, number> = { t: 1, f: 1, x: dims.nx, p: dims.np, phi: dims.np, c: dims.nc, eta: dims.neta, e: dims.ne };
  let best = { fn: '', what: '', size: 0 };
  for (const f of fns) {
    if (f.length > best.size) best = { fn: f.name, what: 'returns', size: f.length };
    for (const a of f.args) if (argSize[a] > best.size) best = { fn: f.name, what: `takes (${a})`, size: argSize[a] };
  }
  return best;
}

function dimsConstants(dims: ModelDimensions): string[] {
  return Object.entries(dims).map(([k, v]) => `const NLM_${k.toUpperCase()}: u32 = ${v}u;`);
}
