/**
 * The formatter behind `nlmc fmt` and the language server's "Format Document": one canonical layout, driven by the
 * tokens (comments included) and the AST's statement ranges, so nothing the user wrote is lost.
 *
 * - Line breaks are kept as they are (statements need no separators and modifiers stay on their line, so a line break
 *   can carry meaning); only the spacing within lines, the indentation and blank lines change.
 * - Indentation: two spaces per block; a line that continues a statement two more, and two more per bracket open at
 *   its start (not counting the one a leading closing bracket closes).
 * - Spacing: one space around binary operators, `=`, `~`, `->`, after `,` `:` `;`; none inside brackets, around
 *   `^`, after a unary sign, or between a name and its `(`; two spaces between statements written on one line.
 * - Alignment, within a run of consecutive one-statement lines of the same kind (no blank or comment-only line
 *   between): the `=` of definitions, equations, initial conditions and constants; for parameters, the columns
 *   name = value, unit, modifiers (two spaces between columns). Trailing comments of consecutive lines are aligned,
 *   three spaces after the longest code among them.
 * - Blank lines: at most one in a row, none at the start or end of the file or of a block. Trailing whitespace is
 *   removed, the file ends with one line break, CRLF files stay CRLF, and a byte-order mark stays.
 *
 * A file with syntax errors is not formatted (the layout rules read its statements). As a guard, the result is
 * lexed again and must hold the same tokens with the same line breaks between them.
 */
import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ModelAst } from './ast.js';
import { parseModel, type ParseResult } from './parse.js';
import { nlmLexer } from './tokens.js';

export type FormatResult =
  | { readonly ok: true; readonly text: string; readonly changed: boolean }
  | { readonly ok: false; readonly reason: string; readonly diagnostics: readonly Diagnostic[] };

type StatementKind = 'parameter' | 'correlation' | 'constant' | 'state' | 'definition' | 'derivative' | 'covariate' | 'dosing' | 'observation';

interface Statement {
  readonly kind: StatementKind;
  readonly start: number;
  /** Exclusive end offset. */
  readonly end: number;
  /** Parameters: the end of the initial value. */
  readonly valueEnd?: number;
  readonly hasUnit?: boolean;
  /** Whether the statement has an `=` to align on. */
  readonly aligned: boolean;
}

function statements(ast: ModelAst): Statement[] {
  const out: Statement[] = [];
  const add = (kind: StatementKind, range: { start: { offset: number }; end: { offset: number } }, aligned: boolean, extra: Partial<Statement> = {}): void => {
    out.push({ kind, start: range.start.offset, end: range.end.offset, aligned, ...extra });
  };
  for (const p of [...ast.parameters, ...ast.errorParameters]) add('parameter', p.range, true, { valueEnd: p.initialRange.end.offset, hasUnit: p.unit !== undefined });
  for (const c of ast.correlations) add('correlation', c.range, true);
  for (const c of ast.constants) add('constant', c.range, true);
  for (const s of ast.states) add('state', s.range, s.initial !== undefined);
  for (const s of ast.ode) add(s.kind, s.range, true);
  for (const c of ast.covariates) add('covariate', c.range, false);
  for (const d of ast.dosing) add('dosing', d.range, false);
  for (const o of ast.observations) add('observation', o.range, false);
  return out;
}

const kind = (t: IToken | undefined): string => t?.tokenType.name ?? '';
const operandEnd = new Set(['Identifier', 'InvalidName', 'NumberLiteral', 'StringLiteral', 'RParen', 'RBracket']);
const callees = new Set(['Identifier', 'InvalidName', 'Kw_sum', 'Kw_piecewise', 'DDt']);

/** A sign is unary unless it follows something that ends an operand. */
function isUnary(t: IToken, previous: IToken | undefined): boolean {
  return (kind(t) === 'Minus' || kind(t) === 'Plus') && !operandEnd.has(kind(previous));
}

/** The space between two tokens on one line. */
function gap(prev: IToken, next: IToken, prevIsUnary: boolean, nextStartsStatement: boolean): string {
  const p = kind(prev);
  const n = kind(next);
  if (nextStartsStatement) return p === 'LBrace' || p === 'Semicolon' || p === 'Comma' ? ' ' : '  ';
  if (p === 'LParen' || p === 'LBracket') return '';
  if (n === 'RParen' || n === 'RBracket' || n === 'Comma' || n === 'Semicolon' || n === 'Colon') return '';
  if (p === 'Comma' || p === 'Semicolon' || p === 'Colon') return ' ';
  if (p === 'Caret' || n === 'Caret') return '';
  if (prevIsUnary) return '';
  if (n === 'LParen') return callees.has(p) ? '' : ' ';
  if (p === 'LBrace' && n === 'RBrace') return '';
  return ' ';
}

interface Line {
  /** 1-based source line. */
  readonly line: number;
  readonly code: readonly IToken[];
  readonly comment?: IToken;
}

interface Rendered {
  readonly line: number;
  readonly indent: string;
  /** The code, or cells to align (joined by the run renderer). */
  code: string;
  readonly cells?: { readonly kind: StatementKind; readonly head: string; readonly value: string; readonly unit?: string; readonly rest: string };
  readonly comment?: string;
  readonly hasBrace: boolean;
  readonly opensBlock: boolean;
  readonly closesBlock: boolean;
}

const syntaxCodes = new Set(['E100', 'E101']);

export function formatModel(source: string): FormatResult {
  return formatParsed(source, parseModel(source));
}

/** Formats `source` from its parse (`parseModel(source)`, or a compile result of it, which carries the same fields). */
export function formatParsed(source: string, parsed: Pick<ParseResult, 'ast' | 'tokens' | 'diagnostics'>): FormatResult {
  const syntax = parsed.diagnostics.filter((d) => syntaxCodes.has(d.code));
  if (syntax.length > 0) return { ok: false, reason: 'the model has syntax errors; fix them first', diagnostics: syntax };
  const text = layout(source, parsed.tokens, parsed.ast);
  const guard = sameTokens(parsed.tokens, text);
  if (guard) return { ok: false, reason: `internal error: formatting would change the model (${guard}); please report it`, diagnostics: [] };
  return { ok: true, text, changed: text !== source };
}

function layout(source: string, tokens: readonly IToken[], ast: ModelAst): string {
  const stmts = statements(ast);
  const starts = new Map(stmts.map((s) => [s.start, s]));
  const lines: Line[] = [];
  for (const t of tokens) {
    const line = t.startLine ?? 1;
    let last = lines[lines.length - 1];
    if (!last || last.line !== line) {
      last = { line, code: [] };
      lines.push(last);
    }
    if (kind(t) === 'Comment') (last as { comment?: IToken }).comment = t;
    else (last.code as IToken[]).push(t);
  }

  const rendered: Rendered[] = [];
  let braces = 0;
  let parens = 0;
  let previous: IToken | undefined;
  for (const l of lines) {
    const first = l.code[0];
    // Indentation from the brackets open before the line.
    let indent: number;
    if (!first) {
      indent = 2 * braces + (parens > 0 ? 2 + 2 * parens : 0);
    } else if (kind(first) === 'RBrace') {
      indent = 2 * Math.max(0, braces - 1);
    } else if (braces === 0) {
      indent = 0;
    } else {
      const continuation = !starts.has(first.startOffset);
      const closer = kind(first) === 'RParen' || kind(first) === 'RBracket';
      indent = 2 * braces + (continuation ? 2 + 2 * Math.max(0, parens - (closer ? 1 : 0)) : 0);
    }
    const depthAtStart = braces;
    // The code, token by token.
    const pieces: string[] = [];
    let prevOnLine: IToken | undefined;
    let prevUnary = false;
    for (const t of l.code) {
      const unary = isUnary(t, previous);
      pieces.push(prevOnLine ? gap(prevOnLine, t, prevUnary, starts.has(t.startOffset)) + t.image : t.image);
      prevOnLine = t;
      prevUnary = unary;
      previous = t;
      const k = kind(t);
      if (k === 'LBrace') {
        braces++;
        parens = 0;
      } else if (k === 'RBrace') {
        braces = Math.max(0, braces - 1);
        parens = 0;
      } else if (k === 'LParen' || k === 'LBracket') parens++;
      else if (k === 'RParen' || k === 'RBracket') parens = Math.max(0, parens - 1);
    }
    const hasBrace = l.code.some((t) => kind(t) === 'LBrace' || kind(t) === 'RBrace');
    const comment = l.comment?.image.trimEnd();
    const last = l.code[l.code.length - 1];
    let cells: Rendered['cells'];
    const stmt = first ? starts.get(first.startOffset) : undefined;
    if (stmt && stmt.aligned && last && depthAtStart === 1 && !hasBrace && (last.endOffset ?? 0) + 1 === stmt.end) {
      cells = splitCells(stmt, l.code, pieces);
    }
    rendered.push({
      line: l.line, indent: ' '.repeat(indent), code: pieces.join(''), ...(cells ? { cells } : {}), ...(comment !== undefined ? { comment } : {}),
      hasBrace, opensBlock: kind(last) === 'LBrace', closesBlock: kind(first) === 'RBrace',
    });
  }

  alignStatements(rendered);
  alignComments(rendered);

  // Blank lines: at most one, none at the edges of the file or of a block.
  const out: string[] = [];
  let before: Rendered | undefined;
  for (const r of rendered) {
    if (before && r.line > before.line + 1 && !before.opensBlock && !r.closesBlock) out.push('');
    const code = r.code ? r.indent + r.code : '';
    out.push(r.comment === undefined ? code : code ? `${code}   ${r.comment}` : r.indent + r.comment);
    before = r;
  }
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const bom = source.charCodeAt(0) === 0xfeff ? '\uFEFF' : '';
  return out.length === 0 ? bom : `${bom}${out.map((s) => s.trimEnd()).join(eol)}${eol}`;
}

/** Splits a one-statement line into the cells that are aligned: what precedes `=`, the value, the unit, the rest. */
function splitCells(stmt: Statement, code: readonly IToken[], pieces: readonly string[]): Rendered['cells'] {
  const eq = code.findIndex((t) => kind(t) === 'Equals');
  if (eq <= 0 || eq === code.length - 1) return undefined;
  const join = (from: number, to: number): string => (from >= to ? '' : pieces.slice(from, to).join('').replace(/^\s+/, ''));
  const head = join(0, eq);
  if (stmt.kind !== 'parameter') return { kind: stmt.kind, head, value: join(eq + 1, code.length), rest: '' };
  let valueEnd = code.findIndex((t, i) => i > eq && (t.endOffset ?? 0) + 1 === stmt.valueEnd);
  if (valueEnd < 0) return undefined;
  valueEnd++;
  const unitToken = stmt.hasUnit && kind(code[valueEnd]) === 'StringLiteral' ? valueEnd : -1;
  const restFrom = unitToken >= 0 ? valueEnd + 1 : valueEnd;
  return {
    kind: stmt.kind, head, value: join(eq + 1, valueEnd), ...(unitToken >= 0 ? { unit: join(unitToken, unitToken + 1) } : {}), rest: join(restFrom, code.length),
  };
}

/** Runs of consecutive lines (no blank or comment-only line between) that satisfy `member` and `sameRun`. */
function runs(lines: readonly Rendered[], member: (r: Rendered) => boolean, sameRun: (a: Rendered, b: Rendered) => boolean = () => true): Rendered[][] {
  const out: Rendered[][] = [];
  let current: Rendered[] = [];
  for (const r of lines) {
    const prev = current[current.length - 1];
    if (member(r) && prev && r.line === prev.line + 1 && sameRun(prev, r)) {
      current.push(r);
      continue;
    }
    if (current.length > 0) out.push(current);
    current = member(r) ? [r] : [];
  }
  if (current.length > 0) out.push(current);
  return out;
}

function alignStatements(lines: readonly Rendered[]): void {
  for (const run of runs(lines, (r) => r.cells !== undefined, (a, b) => a.cells!.kind === b.cells!.kind)) {
    const cells = run.map((r) => r.cells!);
    const head = Math.max(...cells.map((c) => c.head.length));
    if (cells[0]!.kind !== 'parameter') {
      for (const r of run) r.code = `${r.cells!.head.padEnd(head)} = ${r.cells!.value}`;
      continue;
    }
    const value = Math.max(...cells.map((c) => c.value.length));
    const units = cells.some((c) => c.unit !== undefined);
    const unit = Math.max(0, ...cells.map((c) => c.unit?.length ?? 0));
    for (const r of run) {
      const c = r.cells!;
      let text = `${c.head.padEnd(head)} = ${c.value}`;
      if (units && (c.unit !== undefined || c.rest)) text = `${text.padEnd(head + 3 + value)}  ${c.unit ?? ''}`;
      if (c.rest) text = `${text.padEnd(head + 3 + value + (units ? 2 + unit : 0))}  ${c.rest}`;
      r.code = text;
    }
  }
}

function alignComments(lines: readonly Rendered[]): void {
  const isCode = (r: Rendered): boolean => r.code !== '' && !r.hasBrace;
  for (const run of runs(lines, isCode)) {
    const commented = run.filter((r) => r.comment !== undefined);
    if (commented.length === 0) continue;
    const column = Math.max(...commented.map((r) => r.indent.length + r.code.length));
    for (const r of commented) r.code = (r.indent + r.code).padEnd(column).slice(r.indent.length);
  }
}

/** Undefined when `text` lexes to the same tokens as `original`, with line breaks in the same places; else what differs. */
function sameTokens(original: readonly IToken[], text: string): string | undefined {
  const lexed = nlmLexer.tokenize(text);
  if (lexed.errors.length > 0 || (lexed.groups['invalid'] ?? []).length > 0) return 'a character the lexer rejects';
  const after = [...lexed.tokens, ...(lexed.groups['comments'] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  if (after.length !== original.length) return `${original.length} tokens became ${after.length}`;
  for (let i = 0; i < after.length; i++) {
    const a = original[i]!;
    const b = after[i]!;
    const image = (t: IToken): string => (kind(t) === 'Comment' ? t.image.trimEnd() : t.image);
    if (kind(a) !== kind(b) || image(a) !== image(b)) return `'${a.image}' became '${b.image}'`;
    if (i > 0 && (a.startLine === original[i - 1]!.startLine) !== (b.startLine === after[i - 1]!.startLine)) return `a line break moved near '${a.image}'`;
  }
  return undefined;
}
