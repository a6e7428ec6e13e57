/**
 * The compiler in one function, stage by stage as in the design: parse → check → lower → differentiate → emit.
 * Each stage returns its value and its diagnostics; the pipeline stops before a stage whose input has errors,
 * and reports how long each stage took.
 */
import type { IToken } from 'chevrotain';
import { diagnostic, hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Range } from '../diagnostics/source-range.js';
import type { ModelAst } from '../grammar/ast.js';
import { parseModel } from '../grammar/parse.js';
import type { CheckedModel } from './check/checked-model.js';
import { checkModel } from './check/check.js';
import { exprDepth, modelExpressions } from './check/walk.js';
import { differentiateModel, type ModelDerivatives } from './diff/model-derivatives.js';
import { emitTs } from './emit-ts/emit-ts.js';
import { emitWgsl } from './emit-wgsl/emit-wgsl.js';
import { emitRunnableShader, type KernelMethodName } from './emit-wgsl/runnable-shader.js';
import type { ModelIR } from './ir/model-ir.js';
import { printIr } from './ir/print-ir.js';
import { lowerModel } from './lower/lower.js';

/** 'wgsl': the model functions; 'kernel': the shader that runs (the model functions and the integrator kernel). */
export type EmitTarget = 'ir' | 'wgsl' | 'kernel' | 'ts';

/**
 * What a command that runs the model needs compiled: the WGSL model functions (the engine prints the kernel and the
 * JavaScript module itself, prepared-model.ts), not the IR listing or the typed TS artifact `nlmc build` writes.
 */
export const RUNTIME_EMIT: readonly EmitTarget[] = ['wgsl'];

export interface CompileOptions {
  /** Which artifacts to produce; all by default. Front-end-only users (the language server) pass []. */
  readonly emit?: readonly EmitTarget[];
  /**
   * The last stage to run: 'check', or 'lower' (whose breakpoint analysis adds W303), skipping differentiation and
   * emission. The language server re-analyses on every edit and needs only diagnostics and the checked model.
   */
  readonly stopAfter?: 'check' | 'lower';
  /** The integration method of the `kernel` artifact: 'explicit' (Dormand–Prince 5(4), default) or 'rosenbrock' (ROS34PW2). */
  readonly method?: KernelMethodName;
  /** Network weights lowered as constants, not parameters (lower.ts, LowerOptions). */
  readonly heldWeights?: ReadonlyMap<string, number>;
}

export interface CompileResult {
  /** The model's text, as compiled. */
  readonly source: string;
  readonly ast: ModelAst;
  /** The parser's tokens, comments included, in source order (semantic highlighting, formatting). */
  readonly tokens: readonly IToken[];
  readonly checked?: CheckedModel;
  readonly ir?: ModelIR;
  readonly derivatives?: ModelDerivatives;
  readonly artifacts: Partial<Record<EmitTarget, string>>;
  /** Every diagnostic of every stage that ran, sorted by position. */
  readonly diagnostics: readonly Diagnostic[];
  /** Milliseconds per stage. */
  readonly timings: Readonly<Record<string, number>>;
}

function timed<T>(timings: Record<string, number>, stage: string, run: () => T): T {
  const start = performance.now();
  const value = run();
  timings[stage] = performance.now() - start;
  return value;
}

/** Finishes a result with the diagnostics and timings gathered so far. */
type Done = (rest: Omit<CompileResult, 'diagnostics' | 'timings' | 'artifacts' | 'tokens' | 'source'> & { artifacts?: CompileResult['artifacts'] }) => CompileResult;

/** Whether `e` is the JavaScript engine running out of stack. */
function isStackOverflow(e: unknown): boolean {
  return e instanceof Error && /maximum call stack size exceeded/i.test(e.message);
}

/** The range of the model's most deeply nested expression, or of its name. */
function deepestExpression(ast: ModelAst): Range {
  let best: { depth: number; range: Range } = { depth: 0, range: ast.nameRange };
  for (const e of modelExpressions(ast)) {
    const depth = exprDepth(e);
    if (depth > best.depth) best = { depth, range: e.range };
  }
  return best.range;
}

/**
 * Never throws on user input. The stages recurse on expressions; the parser limits nesting, but an expression can
 * still be too long for a later stage (a flat sum of thousands of terms is that deep a tree): that is reported as
 * E101 at the deepest expression rather than thrown.
 */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const emit = options.emit ?? ['ir', 'wgsl', 'ts'];
  const timings: Record<string, number> = {};
  const diagnostics: Diagnostic[] = [];
  const parsed = timed(timings, 'parse', () => parseModel(source));
  const done: Done = (rest) => ({
    artifacts: {}, ...rest, source, tokens: parsed.tokens, diagnostics: sortDiagnostics(diagnostics), timings,
  });
  diagnostics.push(...parsed.diagnostics);
  try {
    return compileChecked(parsed.ast, emit, options, timings, diagnostics, done);
  } catch (e) {
    if (!isStackOverflow(e)) throw e;
    diagnostics.push(diagnostic('E101', deepestExpression(parsed.ast), 'this expression is too long or nests too deeply for the compiler: split it into definitions'));
    return done({ ast: parsed.ast });
  }
}

function compileChecked(
  ast: ModelAst, emit: readonly EmitTarget[], options: CompileOptions, timings: Record<string, number>, diagnostics: Diagnostic[],
  done: Done,
): CompileResult {
  const stopAfter = options.stopAfter;
  const checked = timed(timings, 'check', () => checkModel(ast));
  diagnostics.push(...checked.diagnostics);
  if (hasErrors(diagnostics) || stopAfter === 'check') return done({ ast, checked: checked.model });

  const lowered = timed(timings, 'lower', () => lowerModel(checked.model, options.heldWeights ? { heldWeights: options.heldWeights } : {}));
  diagnostics.push(...lowered.diagnostics);
  const ir = lowered.ir;
  if (stopAfter === 'lower') return done({ ast, checked: checked.model, ir });
  const derivatives = timed(timings, 'differentiate', () => differentiateModel(ir));

  const artifacts: Partial<Record<EmitTarget, string>> = {};
  if (emit.includes('ir')) artifacts.ir = timed(timings, 'emit-ir', () => printIr(ir));
  if (emit.includes('wgsl') || emit.includes('kernel')) {
    const wgsl = timed(timings, 'emit-wgsl', () => emitWgsl(ir, derivatives, ast.nameRange, lowered.sources));
    diagnostics.push(...wgsl.diagnostics);
    if (emit.includes('wgsl')) artifacts.wgsl = wgsl.code;
    if (emit.includes('kernel')) artifacts.kernel = timed(timings, 'emit-kernel', () => emitRunnableShader(ir, derivatives, wgsl.code, options.method ?? 'explicit'));
  }
  if (emit.includes('ts')) artifacts.ts = timed(timings, 'emit-ts', () => emitTs(ir, derivatives));
  return done({ ast, checked: checked.model, ir, derivatives, artifacts });
}
