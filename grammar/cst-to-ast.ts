/**
 * CST → AST. The only code that reads tokens. Recovery can leave rules half-filled, so every child is treated
 * as possibly absent: a missing expression becomes a `missing` node (its syntax error is already reported),
 * a missing name becomes the empty string, and later stages skip what they cannot understand.
 *
 * What recovery made up never becomes part of the AST, so that one mistake is reported once:
 * - a statement that starts after a syntax error on its own line is left out: statements need no separators, and
 *   Chevrotain's resynchronisation reads the rest of a broken line as new statements (`k` and `X` in
 *   `if a && b then -k * X else 0`) that the user never wrote;
 * - an expression construct (a primary: number, name, call, parentheses, piecewise, sum, list; or an if) that recovery
 *   touched — re-synchronised, a token inserted, or a token deleted inside it — becomes `missing`, so its remains
 *   cause no type or arity errors;
 * - an observation read no further than its name or distribution is left out (nothing refers to observations);
 *   other declarations are kept with what could be read, so that their uses elsewhere still resolve.
 *
 * It also reports the mistakes the grammar accepts on purpose to recover well: chained comparisons, `X(1) = …`,
 * names that start with a digit, and numbers too large for a double.
 */
import type { CstNode, IToken } from 'chevrotain';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { sourceLines, type Range } from '../diagnostics/source-range.js';
import type * as A from './ast.js';
import type * as C from './cst.generated.js';
import { InvalidName } from './tokens.js';

/** Where a syntax error was found: the offending token, or for a lexer error the first bad character. */
export interface ErrorPoint {
  readonly offset: number;
  readonly line: number;
  /** Found by the parser, which may then have resynchronised; the lexer only drops characters. */
  readonly parser: boolean;
}

/** The range of one token. Chevrotain columns are 1-based and its end offsets inclusive. */
export function tokenRange(tok: IToken): Range {
  const startLine = tok.startLine ?? 1;
  const startColumn = tok.startColumn ?? 1;
  return {
    start: { line: startLine, column: startColumn, offset: tok.startOffset },
    end: { line: tok.endLine ?? startLine, column: (tok.endColumn ?? startColumn) + 1, offset: (tok.endOffset ?? tok.startOffset) + 1 },
  };
}

/**
 * The error points, indexed for the two questions the builder asks of every node (a scan of all points per node was
 * quadratic in a file with thousands of errors).
 */
class ErrorIndex {
  private readonly offsets: number[];
  /** Per line, the first offset where the parser found an error. */
  private readonly firstParserErrorOnLine = new Map<number, number>();

  constructor(points: readonly ErrorPoint[]) {
    this.offsets = points.map((p) => p.offset).sort((a, b) => a - b);
    for (const p of points) {
      if (!p.parser) continue;
      const seen = this.firstParserErrorOnLine.get(p.line);
      if (seen === undefined || p.offset < seen) this.firstParserErrorOnLine.set(p.line, p.offset);
    }
  }

  /** Whether an error point lies in [start, end]. */
  anyWithin(start: number, end: number): boolean {
    let lo = 0;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.offsets.length && this.offsets[lo]! <= end;
  }

  /** Whether the parser found an error on `line` before `offset`. */
  parserErrorBefore(line: number, offset: number): boolean {
    const first = this.firstParserErrorOnLine.get(line);
    return first !== undefined && first < offset;
  }
}

function validNumber(n: number | undefined): n is number {
  return n !== undefined && Number.isFinite(n);
}

/** The range of a CST node, or of a fallback when recovery left it empty. */
function nodeRange(node: CstNode | undefined, fallback: Range): Range {
  const loc = node?.location;
  if (!loc || !validNumber(loc.startOffset) || !validNumber(loc.endOffset) || !validNumber(loc.startLine)) return fallback;
  return {
    start: { line: loc.startLine, column: loc.startColumn ?? 1, offset: loc.startOffset },
    end: { line: loc.endLine ?? loc.startLine, column: (loc.endColumn ?? 1) + 1, offset: loc.endOffset + 1 },
  };
}

/** Carries the source text (for doc comments) and a fallback range for recovered nodes. */
function isToken(x: CstNode | IToken): x is IToken {
  return (x as IToken).image !== undefined;
}

class Builder {
  private lastRange: Range;
  private readonly errors: ErrorIndex;
  readonly diagnostics: Diagnostic[] = [];
  /** Offsets [start, end] of the statements that made it into the AST: the rest of the file was not read. */
  readonly read: [number, number][] = [];
  constructor(
    private readonly comments: readonly IToken[],
    private readonly lines: readonly string[],
    errorPoints: readonly ErrorPoint[],
  ) {
    this.errors = new ErrorIndex(errorPoints);
    this.lastRange = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
  }

  private report(code: 'E101' | 'E102', range: Range, message: string): void {
    this.diagnostics.push(diagnostic(code, range, message));
  }

  /** Whether recovery touched `node`: re-synchronised it, inserted a token into it, or deleted one inside it. */
  private damaged(node: CstNode): boolean {
    if (node.recoveredNode) return true;
    for (const list of Object.values(node.children)) {
      for (const c of list) if (isToken(c) && c.isInsertedInRecovery) return true;
    }
    const loc = node.location;
    if (!loc || !validNumber(loc.startOffset) || !validNumber(loc.endOffset)) return true;
    return this.errors.anyWithin(loc.startOffset, loc.endOffset);
  }

  /**
   * Whether a statement is an artefact of recovery: it has no tokens, or it starts after a syntax error on the same
   * line (resynchronisation read the rest of the broken line as new statements).
   */
  private invented(node: CstNode): boolean {
    const loc = node.location;
    if (!loc || !validNumber(loc.startOffset) || !validNumber(loc.startLine)) return true;
    return this.errors.parserErrorBefore(loc.startLine, loc.startOffset);
  }

  /** The statements of one kind that the user wrote (see `invented`). */
  private real<N extends CstNode>(nodes: readonly N[] | undefined): N[] {
    return (nodes ?? []).filter((n) => !this.invented(n));
  }

  /** `node`, recorded as read (see `read`). */
  private kept<N extends CstNode>(node: N): N {
    const loc = node.location;
    if (loc && validNumber(loc.startOffset) && validNumber(loc.endOffset)) this.read.push([loc.startOffset, loc.endOffset]);
    return node;
  }

  /** The value of a number token, or NaN (reported E102) when a double cannot hold it. */
  private numberValue(tok: IToken): number {
    const value = Number(tok.image);
    if (!Number.isFinite(value)) {
      this.report('E102', tokenRange(tok), `the number ${tok.image} is too large to represent`);
      return NaN;
    }
    return value;
  }

  private tok(t: IToken | undefined): Range {
    if (t && validNumber(t.startOffset)) this.lastRange = tokenRange(t);
    return this.lastRange;
  }

  private range(node: CstNode | undefined): Range {
    const r = nodeRange(node, this.lastRange);
    this.lastRange = r;
    return r;
  }

  private ident(t: IToken | undefined): { name: string; range: Range } {
    const ok = t && validNumber(t.startOffset) && !t.isInsertedInRecovery;
    const range = this.tok(t);
    if (ok && t.tokenType === InvalidName) this.report('E101', range, `a name starts with a letter or '_', found '${t.image}'`);
    return { name: ok ? t.image : '', range };
  }

  /**
   * A declaration's doc: the comment on its own line after it, else the run of whole-line comments just above it.
   * `#` and one following space are stripped.
   */
  private docFor(range: Range): string | undefined {
    const strip = (c: IToken): string => c.image.replace(/^#+\s?/, '').trimEnd();
    const trailing = this.comments.find((c) => c.startLine === range.end.line && c.startOffset >= range.end.offset - 1);
    if (trailing) return strip(trailing);
    const above: string[] = [];
    for (let line = range.start.line - 1; line >= 1; line--) {
      const c = this.comments.find((x) => x.startLine === line);
      if (!c || (this.lines[line - 1] ?? '').trim().indexOf('#') !== 0) break;
      above.unshift(strip(c));
    }
    return above.length > 0 ? above.join('\n') : undefined;
  }

  model(cst: C.ModelCstNode): A.ModelAst {
    const name = this.ident(cst.children.name?.[0]);
    const covariates: A.CovariateDecl[] = [];
    const constants: A.ConstantDecl[] = [];
    const parameters: A.ParameterDecl[] = [];
    const correlations: A.CorrelationDecl[] = [];
    const errorParameters: A.ParameterDecl[] = [];
    const states: A.StateDecl[] = [];
    const ode: A.OdeStmt[] = [];
    const dosing: A.DosingStmt[] = [];
    const observations: A.ObservationStmt[] = [];
    const blocks: A.BlockInfo[] = [];
    for (const block of cst.children.block ?? []) {
      const b = block.children;
      if (b.covariatesBlock) {
        const c = b.covariatesBlock[0]!;
        blocks.push({ kind: 'covariates', keywordRange: this.tok(c.children.Kw_covariates[0]), range: this.range(c) });
        for (const d of this.real(c.children.covariateDecl)) covariates.push(this.covariate(this.kept(d)));
      } else if (b.constantsBlock) {
        const c = b.constantsBlock[0]!;
        blocks.push({ kind: 'constants', keywordRange: this.tok(c.children.Kw_constants[0]), range: this.range(c) });
        for (const d of this.real(c.children.definition)) {
          const def = this.definition(this.kept(d));
          constants.push({ name: def.name, nameRange: def.nameRange, value: def.value, range: def.range, ...(def.doc ? { doc: def.doc } : {}) });
        }
      } else if (b.parametersBlock) {
        const c = b.parametersBlock[0]!;
        blocks.push({ kind: 'parameters', keywordRange: this.tok(c.children.Kw_parameters[0]), range: this.range(c) });
        for (const d of this.real(c.children.parameterDecl)) parameters.push(this.parameter(this.kept(d)));
        for (const d of this.real(c.children.correlationDecl)) correlations.push(this.correlation(this.kept(d)));
      } else if (b.errorBlock) {
        const c = b.errorBlock[0]!;
        blocks.push({ kind: 'error', keywordRange: this.tok(c.children.Kw_error[0]), range: this.range(c) });
        for (const d of this.real(c.children.parameterDecl)) errorParameters.push(this.parameter(this.kept(d)));
      } else if (b.statesBlock) {
        const c = b.statesBlock[0]!;
        blocks.push({ kind: 'states', keywordRange: this.tok(c.children.Kw_states[0]), range: this.range(c) });
        for (const d of this.real(c.children.stateDecl)) states.push(this.state(this.kept(d)));
      } else if (b.odeBlock) {
        const c = b.odeBlock[0]!;
        blocks.push({ kind: 'ode', keywordRange: this.tok(c.children.Kw_ode[0]), range: this.range(c) });
        const stmts: { offset: number; stmt: A.OdeStmt }[] = [];
        for (const d of this.real(c.children.derivative)) {
          const s = this.derivative(this.kept(d));
          stmts.push({ offset: s.range.start.offset, stmt: s });
        }
        for (const d of this.real(c.children.definition)) {
          const s = this.definition(this.kept(d));
          stmts.push({ offset: s.range.start.offset, stmt: s });
        }
        ode.push(...stmts.sort((x, y) => x.offset - y.offset).map((s) => s.stmt));
      } else if (b.dosingBlock) {
        const c = b.dosingBlock[0]!;
        blocks.push({ kind: 'dosing', keywordRange: this.tok(c.children.Kw_dosing[0]), range: this.range(c) });
        const stmts: A.DosingStmt[] = [...this.real(c.children.inputDecl).map((d) => this.input(this.kept(d))), ...this.real(c.children.doseDecl).map((d) => this.dose(this.kept(d)))];
        dosing.push(...stmts.sort((x, y) => x.range.start.offset - y.range.start.offset));
      } else if (b.observeBlock) {
        const c = b.observeBlock[0]!;
        blocks.push({ kind: 'observe', keywordRange: this.tok(c.children.Kw_observe[0]), range: this.range(c) });
        for (const d of this.real(c.children.observation)) {
          const o = this.observation(d);
          if (!o) continue;
          this.kept(d);
          observations.push(o);
        }
      }
    }
    return {
      name: name.name, nameRange: name.range, blocks, covariates, constants, parameters, correlations, errorParameters, states, ode, dosing, observations,
      range: this.range(cst),
    };
  }

  private covariate(d: C.CovariateDeclCstNode): A.CovariateDecl {
    const name = this.ident(d.children.name?.[0]);
    const range = this.range(d);
    const doc = this.docFor(range);
    const unit = d.children.unit?.[0]?.image.slice(1, -1);
    return { name: name.name, nameRange: name.range, modifiers: (d.children.modifier ?? []).map((m) => this.modifier(m)), range, ...(unit !== undefined ? { unit } : {}), ...(doc ? { doc } : {}) };
  }

  private parameter(d: C.ParameterDeclCstNode): A.ParameterDecl {
    const name = this.ident(d.children.name?.[0]);
    const range = this.range(d);
    const initialNode = d.children.initial?.[0];
    const initial = initialNode ? this.signedNumber(initialNode) : { value: NaN, range: name.range };
    const unit = d.children.unit?.[0]?.image.slice(1, -1);
    const doc = this.docFor(range);
    return {
      name: name.name, nameRange: name.range, initial: initial.value, initialRange: initial.range, modifiers: (d.children.modifier ?? []).map((m) => this.modifier(m)), range,
      ...(unit !== undefined ? { unit } : {}), ...(doc ? { doc } : {}),
    };
  }

  private correlation(d: C.CorrelationDeclCstNode): A.CorrelationDecl {
    const word = this.ident(d.children.word?.[0]);
    const first = this.ident(d.children.first?.[0]);
    const second = this.ident(d.children.second?.[0]);
    const range = this.range(d);
    const initialNode = d.children.initial?.[0];
    const initial = initialNode ? this.signedNumber(initialNode) : { value: NaN, range: word.range };
    const doc = this.docFor(range);
    return {
      word: word.name, wordRange: word.range, first: first.name, firstRange: first.range, second: second.name, secondRange: second.range,
      initial: initial.value, initialRange: initial.range, modifiers: (d.children.modifier ?? []).map((m) => this.modifier(m)), range, ...(doc ? { doc } : {}),
    };
  }

  private signedNumber(n: C.SignedNumberCstNode): { value: number; range: Range } {
    const tok = n.children.NumberLiteral?.[0];
    const value = tok && !tok.isInsertedInRecovery ? this.numberValue(tok) : NaN;
    return { value: n.children.Minus ? -value : value, range: this.range(n) };
  }

  private modifier(m: C.ModifierCstNode): A.Modifier {
    const range = this.range(m);
    const c = m.children;
    if (c.Kw_fixed) return { kind: 'fixed', range };
    if (c.Kw_in) {
      const lower = c.lower?.[0] ? this.signedNumber(c.lower[0]).value : NaN;
      const upper = c.upper?.[0] ? this.signedNumber(c.upper[0]).value : NaN;
      return { kind: 'bounds', lower, upper, range };
    }
    const word = this.ident(c.word?.[0]);
    const argList = c.argumentList?.[0];
    return { kind: 'word', word: word.name, wordRange: word.range, range, ...(argList ? { args: this.argumentList(argList) } : {}) };
  }

  private argumentList(a: C.ArgumentListCstNode): A.Argument[] {
    return (a.children.argument ?? []).map((arg) => {
      const nameTok = arg.children.name?.[0];
      const name = nameTok ? this.ident(nameTok) : undefined;
      const value = this.expression(arg.children.value?.[0]);
      return {
        value, fixed: Boolean(arg.children.Kw_fixed), range: this.range(arg),
        ...(name ? { name: name.name, nameRange: name.range } : {}),
      };
    });
  }

  private state(d: C.StateDeclCstNode): A.StateDecl {
    const name = this.ident(d.children.name?.[0]);
    const range = this.range(d);
    const initialNode = d.children.initial?.[0];
    const unit = d.children.unit?.[0]?.image.slice(1, -1);
    const doc = this.docFor(range);
    const zero = d.children.zero?.[0];
    if (zero && !zero.isInsertedInRecovery && Number(zero.image) !== 0) {
      this.report('E101', tokenRange(zero), "an initial condition is written 'X(0) = value'");
    }
    return {
      name: name.name, nameRange: name.range, range,
      ...(initialNode || d.children.Equals ? { initial: this.expression(initialNode) } : {}),
      ...(unit !== undefined ? { unit } : {}), ...(doc ? { doc } : {}),
    };
  }

  private derivative(d: C.DerivativeCstNode): A.DerivativeStmt {
    const state = this.ident(d.children.state?.[0]);
    return { kind: 'derivative', state: state.name, stateRange: state.range, value: this.expression(d.children.value?.[0]), range: this.range(d) };
  }

  private definition(d: C.DefinitionCstNode): A.DefinitionStmt {
    const name = this.ident(d.children.name?.[0]);
    const range = this.range(d);
    const doc = this.docFor(range);
    return { kind: 'definition', name: name.name, nameRange: name.range, value: this.expression(d.children.value?.[0]), range, ...(doc ? { doc } : {}) };
  }

  private input(d: C.InputDeclCstNode): A.DosingStmt {
    const name = this.ident(d.children.name?.[0]);
    const target = this.ident(d.children.target?.[0]);
    return {
      kind: 'input', name: name.name, nameRange: name.range, target: target.name, targetRange: target.range,
      modifiers: (d.children.modifier ?? []).map((m) => this.modifier(m)), range: this.range(d),
    };
  }

  private dose(d: C.DoseDeclCstNode): A.DosingStmt {
    const amount = this.additive(d.children.amount?.[0]);
    const target = this.ident(d.children.target?.[0]);
    const times = this.additive(d.children.times?.[0]);
    return {
      kind: 'dose', amount, target: target.name, targetRange: target.range, times,
      modifiers: (d.children.modifier ?? []).map((m) => this.modifier(m)), range: this.range(d),
    };
  }

  /** Undefined when recovery left less than `name ~ distribution(`: its syntax error says what is wrong. */
  private observation(d: C.ObservationCstNode): A.ObservationStmt | undefined {
    const present = (t: IToken | undefined): boolean => t !== undefined && !t.isInsertedInRecovery && validNumber(t.startOffset);
    const argList = d.children.argumentList?.[0];
    if (!present(d.children.Tilde?.[0]) || !present(d.children.distribution?.[0]) || !argList || !present(argList.children.LParen?.[0])) return undefined;
    const outer = this.ident(d.children.name?.[0]);
    const innerTok = d.children.inner?.[0];
    const inner = innerTok ? this.ident(innerTok) : undefined;
    const dist = this.ident(d.children.distribution?.[0]);
    const args = this.argumentList(argList);
    const base = {
      distribution: dist.name, distributionRange: dist.range, args,
      modifiers: (d.children.modifier ?? []).map((m) => this.modifier(m)), range: this.range(d),
    };
    return inner
      ? { name: inner.name, nameRange: inner.range, dataTransform: { name: outer.name, range: outer.range }, ...base }
      : { name: outer.name, nameRange: outer.range, ...base };
  }

  // ---- expressions ----

  private missing(node: CstNode | undefined): A.Expr {
    return { kind: 'missing', range: this.range(node) };
  }

  expression(e: C.ExpressionCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    if (e.children.ifExpression) {
      const i = e.children.ifExpression[0]!;
      if (this.damaged(i)) return this.missing(i);
      return {
        kind: 'if', condition: this.or(i.children.condition?.[0]), then: this.expression(i.children.then?.[0]),
        else: this.expression(i.children.else?.[0]), range: this.range(i),
      };
    }
    return this.or(e.children.orExpression?.[0]);
  }

  /** Folds `operands` and `operators` left to right into binary nodes. */
  private chain<N extends CstNode>(operands: N[] | undefined, operators: IToken[] | undefined, each: (n: N | undefined) => A.Expr): A.Expr {
    const ops = operators ?? [];
    let left = each(operands?.[0]);
    for (let i = 0; i < ops.length; i++) {
      const right = each(operands?.[i + 1]);
      const op = ops[i]!;
      left = {
        kind: 'binary', op: op.image as A.BinaryOp, left, right, opRange: this.tok(op),
        range: { start: left.range.start, end: right.range.end },
      };
    }
    return left;
  }

  private or(e: C.OrExpressionCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    return this.chain(e.children.operands, e.children.operators, (n) => this.and(n));
  }

  private and(e: C.AndExpressionCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    return this.chain(e.children.operands, e.children.operators, (n) => this.not(n));
  }

  private not(e: C.NotExpressionCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    if (e.children.Kw_not) return { kind: 'unary', op: 'not', operand: this.not(e.children.operand?.[0]), range: this.range(e) };
    return this.comparison(e.children.comparison?.[0]);
  }

  private comparison(e: C.ComparisonCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    const ops = e.children.operator ?? [];
    if (ops.length > 1) {
      this.report('E101', tokenRange(ops[1]!), "comparisons do not chain: write 'a < b and b < c'");
      return this.missing(e);
    }
    return this.chain(e.children.operands, ops, (n) => this.additive(n));
  }

  additive(e: C.AdditiveCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    return this.chain(e.children.operands, e.children.operators, (n) => this.multiplicative(n));
  }

  private multiplicative(e: C.MultiplicativeCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    return this.chain(e.children.operands, e.children.operators, (n) => this.unary(n));
  }

  private unary(e: C.UnaryCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    const op = e.children.operator?.[0];
    if (op) return { kind: 'unary', op: op.image as A.UnaryOp, operand: this.unary(e.children.operand?.[0]), range: this.range(e) };
    return this.power(e.children.power?.[0]);
  }

  private power(e: C.PowerCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    const base = this.primary(e.children.base?.[0]);
    if (!e.children.Caret) return base;
    const exponent = this.unary(e.children.exponent?.[0]);
    return { kind: 'binary', op: '^', left: base, right: exponent, opRange: this.tok(e.children.Caret[0]), range: this.range(e) };
  }

  private primary(e: C.PrimaryCstNode | undefined): A.Expr {
    if (!e) return this.missing(e);
    if (this.damaged(e)) return this.missing(e);
    const c = e.children;
    const num = c.NumberLiteral?.[0];
    if (num) {
      const value = this.numberValue(num);
      if (Number.isNaN(value)) return this.missing(e);
      return { kind: 'number', value, text: num.image, range: this.tok(num) };
    }
    const invalid = c.name?.[0];
    if (invalid?.tokenType === InvalidName) {
      const split = /^((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.+)$/.exec(invalid.image);
      const hint = split ? `; to multiply, write '${split[1]} * ${split[2]}'` : '';
      this.report('E101', this.tok(invalid), `a name starts with a letter or '_', found '${invalid.image}'${hint}`);
      return this.missing(e);
    }
    if (c.piecewise) return this.piecewise(c.piecewise[0]!);
    if (c.sum) return this.sum(c.sum[0]!);
    if (c.list) {
      const l = c.list[0]!;
      return { kind: 'list', items: (l.children.items ?? []).map((i) => this.expression(i)), range: this.range(l) };
    }
    if (c.name) {
      const name = this.ident(c.name[0]);
      if (!name.name) return this.missing(e);
      const call = c.call?.[0];
      if (!call) return { kind: 'name', name: name.name, range: name.range };
      return { kind: 'call', callee: name.name, calleeRange: name.range, args: this.argumentList(call), range: this.range(e) };
    }
    if (c.inner) return this.expression(c.inner[0]);
    return this.missing(e);
  }

  private piecewise(p: C.PiecewiseCstNode): A.Expr {
    const conditions = p.children.conditions ?? [];
    const values = p.children.values ?? [];
    const cases = conditions.map((cond, i) => ({ condition: this.or(cond), value: this.expression(values[i]) }));
    const otherwise = p.children.otherwise?.[0];
    return { kind: 'piecewise', cases, range: this.range(p), ...(otherwise ? { otherwise: this.expression(otherwise) } : {}) };
  }

  private sum(s: C.SumCstNode): A.Expr {
    const variable = this.ident(s.children.variable?.[0]);
    return {
      kind: 'sum', variable: variable.name, variableRange: variable.range, domain: this.additive(s.children.domain?.[0]),
      body: this.expression(s.children.body?.[0]), range: this.range(s),
    };
  }
}

/**
 * Builds the AST from a (possibly recovered) CST; `comments` are the lexer's comment tokens and `errorPoints` where
 * lexing and parsing found errors. The diagnostics are the syntax errors only the builder can see; `read` the offsets
 * [start, end] of the statements that made it into the AST.
 */
export function cstToAst(
  cst: C.ModelCstNode, comments: readonly IToken[], source: string, errorPoints: readonly ErrorPoint[] = [],
): { ast: A.ModelAst; diagnostics: Diagnostic[]; read: readonly (readonly [number, number])[] } {
  const builder = new Builder(comments, sourceLines(source), errorPoints);
  const ast = builder.model(cst);
  return { ast, diagnostics: builder.diagnostics, read: builder.read };
}
