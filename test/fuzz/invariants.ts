/**
 * What must hold for any input, however broken: nothing thrown by compile, render or format; every diagnostic (and
 * each related location) located inside the file, its line and column agreeing with its offset; and a formatted
 * model formats to itself. Lines are counted here on their own (CRLF, LF or a lone CR each end one: the rule the
 * lexer and the renderer share), not with the code under test.
 */
import { compile, type CompileOptions } from '../../compiler/pipeline.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import type { Range } from '../../diagnostics/source-range.js';
import { formatModel, formatParsed } from '../../grammar/format.js';

/** Offsets where each line starts and where its text ends (before its terminator). */
function lineStarts(source: string): { starts: number[]; ends: number[] } {
  const starts = [0];
  const ends: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c !== '\n' && c !== '\r') continue;
    ends.push(i);
    if (c === '\r' && source[i + 1] === '\n') i++;
    starts.push(i + 1);
  }
  ends.push(source.length);
  return { starts, ends };
}

type Lines = ReturnType<typeof lineStarts>;

function rangeProblem(range: Range, source: string, { starts, ends }: Lines): string | undefined {
  for (const [name, p] of [['start', range.start], ['end', range.end]] as const) {
    if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset > source.length) return `${name} offset ${p.offset} outside 0..${source.length}`;
    if (!Number.isInteger(p.line) || p.line < 1 || p.line > starts.length) return `${name} line ${p.line} outside 1..${starts.length}`;
    const lineStart = starts[p.line - 1]!;
    if (!Number.isInteger(p.column) || p.column < 1 || lineStart + p.column - 1 !== p.offset) {
      return `${name} ${p.line}:${p.column} is offset ${lineStart + p.column - 1}, not ${p.offset}`;
    }
    if (p.offset > ends[p.line - 1]!) return `${name} column ${p.column} is past the end of line ${p.line} (${ends[p.line - 1]! - lineStart} characters)`;
  }
  if (range.end.offset < range.start.offset) return `ends (${range.end.offset}) before it starts (${range.start.offset})`;
  return undefined;
}

/** Why `d` (or one of its related locations) is not located inside `source`, if it is not. */
export function locationProblem(d: Diagnostic, source: string): string | undefined {
  return diagnosticProblem(d, source, lineStarts(source));
}

function diagnosticProblem(d: Diagnostic, source: string, starts: Lines): string | undefined {
  const own = rangeProblem(d.range, source, starts);
  if (own) return `${d.code} '${d.message.slice(0, 80)}': ${own}`;
  for (const r of d.related) {
    const related = rangeProblem(r.range, source, starts);
    if (related) return `${d.code} related '${r.message.slice(0, 80)}': ${related}`;
  }
  return undefined;
}

export interface Checked {
  /** Milliseconds for compile, render and format together. */
  readonly ms: number;
  /** Milliseconds per stage: compile's own stages (parse, check, …), then render and format. */
  readonly stages: Readonly<Record<string, number>>;
  /** The first invariant broken, if any. */
  readonly problem?: string;
}

/** Runs compile (with `options`), render and format on `source` and checks the invariants. */
export function checkInput(source: string, options: CompileOptions = {}): Checked {
  const stages: Record<string, number> = {};
  const start = performance.now();
  const problem = firstProblem(source, options, stages);
  return { ms: performance.now() - start, stages, ...(problem ? { problem } : {}) };
}

/** `run`, its milliseconds added to `stages[stage]`. */
function timed<T>(stages: Record<string, number>, stage: string, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    stages[stage] = (stages[stage] ?? 0) + performance.now() - start;
  }
}

function firstProblem(source: string, options: CompileOptions, stages: Record<string, number>): string | undefined {
  const starts = lineStarts(source);
  let compiled: ReturnType<typeof compile>;
  try {
    compiled = compile(source, options);
  } catch (e) {
    return `compile threw: ${(e as Error).stack ?? String(e)}`;
  }
  Object.assign(stages, compiled.timings);
  const diagnostics = compiled.diagnostics;
  for (const d of diagnostics) {
    const p = diagnosticProblem(d, source, starts);
    if (p) return `diagnostic not located: ${p}`;
  }
  try {
    timed(stages, 'render', () => renderDiagnostics(diagnostics, 'fuzz.nlm', source, { color: true }));
  } catch (e) {
    return `render threw: ${(e as Error).stack ?? String(e)}`;
  }
  // The formatter from compile's parse (the same parseModel run `nlmc fmt` makes), so that the source is parsed once.
  let formatted;
  try {
    formatted = timed(stages, 'format', () => formatParsed(source, compiled));
  } catch (e) {
    return `format threw: ${(e as Error).stack ?? String(e)}`;
  }
  if (!formatted.ok) {
    if (formatted.diagnostics.length === 0) return `format refused without a diagnostic: ${formatted.reason}`;
    const ds = formatted.diagnostics;
    for (const d of ds) {
      const p = diagnosticProblem(d, source, starts);
      if (p) return `format's diagnostic not located: ${p}`;
    }
    return undefined;
  }
  let again;
  try {
    again = timed(stages, 'format', () => formatModel(formatted.text));
  } catch (e) {
    return `format of the formatted text threw: ${(e as Error).stack ?? String(e)}`;
  }
  if (!again.ok) return `the formatted text does not format: ${again.reason}`;
  if (again.text !== formatted.text) return 'formatting is not idempotent: the formatted text formats differently';
  return undefined;
}
