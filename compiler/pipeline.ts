/**
 * The compiler in one function, stage by stage as in the design: parse → check → lower → differentiate → emit.
 * Each stage returns its value and its diagnostics; the pipeline stops before a stage whose input has errors,
 * and reports how long each stage took.
 */
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ModelAst } from '../grammar/ast.js';
import { parseModel } from '../grammar/parse.js';
import type { CheckedModel } from './check/checked-model.js';
import { checkModel } from './check/check.js';
import { differentiateModel, type ModelDerivatives } from './diff/model-derivatives.js';
import { emitTs } from './emit-ts/emit-ts.js';
import { emitWgsl } from './emit-wgsl/emit-wgsl.js';
import type { ModelIR } from './ir/model-ir.js';
import { printIr } from './ir/print-ir.js';
import { lowerModel } from './lower/lower.js';

export type EmitTarget = 'ir' | 'wgsl' | 'ts';

export interface CompileOptions {
  /** Which artifacts to produce; all by default. Front-end-only users (the language server) pass []. */
  readonly emit?: readonly EmitTarget[];
}

export interface CompileResult {
  readonly ast: ModelAst;
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

export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const emit = options.emit ?? ['ir', 'wgsl', 'ts'];
  const timings: Record<string, number> = {};
  const diagnostics: Diagnostic[] = [];
  const done = (rest: Omit<CompileResult, 'diagnostics' | 'timings' | 'artifacts'> & { artifacts?: CompileResult['artifacts'] }): CompileResult => ({
    artifacts: {}, ...rest, diagnostics: sortDiagnostics(diagnostics), timings,
  });

  const parsed = timed(timings, 'parse', () => parseModel(source));
  diagnostics.push(...parsed.diagnostics);
  const checked = timed(timings, 'check', () => checkModel(parsed.ast));
  diagnostics.push(...checked.diagnostics);
  if (hasErrors(diagnostics)) return done({ ast: parsed.ast, checked: checked.model });

  const lowered = timed(timings, 'lower', () => lowerModel(checked.model));
  diagnostics.push(...lowered.diagnostics);
  const ir = lowered.ir;
  const derivatives = timed(timings, 'differentiate', () => differentiateModel(ir));

  const artifacts: Partial<Record<EmitTarget, string>> = {};
  if (emit.includes('ir')) artifacts.ir = timed(timings, 'emit-ir', () => printIr(ir));
  if (emit.includes('wgsl')) {
    const wgsl = timed(timings, 'emit-wgsl', () => emitWgsl(ir, derivatives, parsed.ast.nameRange));
    diagnostics.push(...wgsl.diagnostics);
    artifacts.wgsl = wgsl.code;
  }
  if (emit.includes('ts')) artifacts.ts = timed(timings, 'emit-ts', () => emitTs(ir, derivatives));
  return done({ ast: parsed.ast, checked: checked.model, ir, derivatives, artifacts });
}
