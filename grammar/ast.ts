/**
 * The abstract syntax tree of a `.nlm` file: names and source ranges, no meaning yet.
 * Every node carries a range; the checker turns this into a resolved model and never reads tokens.
 */

import type { Range } from '../diagnostics/source-range.js';

export type { Position, Range } from '../diagnostics/source-range.js';

export type UnaryOp = '-' | '+' | 'not';
export type ArithOp = '+' | '-' | '*' | '/' | '^';
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type LogicOp = 'and' | 'or';
export type BinaryOp = ArithOp | CompareOp | LogicOp;

/** A call or modifier argument: positional (`name` absent) or named, optionally marked `fixed`. */
export interface Argument {
  readonly name?: string;
  readonly nameRange?: Range;
  readonly value: Expr;
  readonly fixed: boolean;
  readonly range: Range;
}

export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly text: string; readonly range: Range }
  | { readonly kind: 'name'; readonly name: string; readonly range: Range }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Expr; readonly range: Range }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly opRange: Range; readonly range: Range }
  | { readonly kind: 'call'; readonly callee: string; readonly calleeRange: Range; readonly args: readonly Argument[]; readonly range: Range }
  | {
      readonly kind: 'piecewise';
      readonly cases: readonly { readonly condition: Expr; readonly value: Expr }[];
      readonly otherwise?: Expr;
      readonly range: Range;
    }
  | { readonly kind: 'if'; readonly condition: Expr; readonly then: Expr; readonly else: Expr; readonly range: Range }
  | { readonly kind: 'sum'; readonly variable: string; readonly variableRange: Range; readonly domain: Expr; readonly body: Expr; readonly range: Range }
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly range: Range }
  /** Stands where recovery left no expression; a syntax error was already reported there. */
  | { readonly kind: 'missing'; readonly range: Range };

export type ExprKind = Expr['kind'];

/** Trailing qualifiers of parameters, covariates, inputs, doses and observations. */
export type Modifier =
  | { readonly kind: 'fixed'; readonly range: Range }
  | { readonly kind: 'bounds'; readonly lower: number; readonly upper: number; readonly range: Range }
  | { readonly kind: 'word'; readonly word: string; readonly wordRange: Range; readonly args?: readonly Argument[]; readonly range: Range };

export interface CovariateDecl {
  readonly name: string;
  readonly nameRange: Range;
  readonly unit?: string;
  readonly modifiers: readonly Modifier[];
  readonly doc?: string;
  readonly range: Range;
}

export interface ConstantDecl {
  readonly name: string;
  readonly nameRange: Range;
  readonly value: Expr;
  readonly doc?: string;
  readonly range: Range;
}

/** A population parameter (in `parameters`) or a residual-error parameter (in `error`). */
export interface ParameterDecl {
  readonly name: string;
  readonly nameRange: Range;
  readonly initial: number;
  readonly initialRange: Range;
  readonly unit?: string;
  readonly modifiers: readonly Modifier[];
  readonly doc?: string;
  readonly range: Range;
}

/** `correlation(CL, V) = 0.3 fixed`: the correlation of two parameters' random effects (in `parameters`). */
export interface CorrelationDecl {
  /** The statement's word as written (the checker requires `correlation`). */
  readonly word: string;
  readonly wordRange: Range;
  readonly first: string;
  readonly firstRange: Range;
  readonly second: string;
  readonly secondRange: Range;
  readonly initial: number;
  readonly initialRange: Range;
  readonly modifiers: readonly Modifier[];
  readonly doc?: string;
  readonly range: Range;
}

export interface StateDecl {
  readonly name: string;
  readonly nameRange: Range;
  /** Absent: the state starts at zero. */
  readonly initial?: Expr;
  readonly unit?: string;
  readonly doc?: string;
  readonly range: Range;
}

export interface DerivativeStmt {
  readonly kind: 'derivative';
  readonly state: string;
  readonly stateRange: Range;
  readonly value: Expr;
  readonly range: Range;
}

export interface DefinitionStmt {
  readonly kind: 'definition';
  readonly name: string;
  readonly nameRange: Range;
  readonly value: Expr;
  readonly doc?: string;
  readonly range: Range;
}

export type OdeStmt = DerivativeStmt | DefinitionStmt;

export type DosingStmt =
  | {
      readonly kind: 'input';
      readonly name: string;
      readonly nameRange: Range;
      readonly target: string;
      readonly targetRange: Range;
      readonly modifiers: readonly Modifier[];
      readonly range: Range;
    }
  | {
      readonly kind: 'dose';
      readonly amount: Expr;
      readonly target: string;
      readonly targetRange: Range;
      readonly times: Expr;
      readonly modifiers: readonly Modifier[];
      readonly range: Range;
    };

export interface ObservationStmt {
  readonly name: string;
  readonly nameRange: Range;
  /** `log(conc) ~ ...`: the data are transformed by this function before comparison. */
  readonly dataTransform?: { readonly name: string; readonly range: Range };
  readonly distribution: string;
  readonly distributionRange: Range;
  readonly args: readonly Argument[];
  readonly modifiers: readonly Modifier[];
  readonly range: Range;
}

export type BlockKind = 'covariates' | 'constants' | 'parameters' | 'states' | 'ode' | 'dosing' | 'observe' | 'error';

export interface BlockInfo {
  readonly kind: BlockKind;
  readonly keywordRange: Range;
  readonly range: Range;
}

export interface ModelAst {
  readonly name: string;
  readonly nameRange: Range;
  readonly blocks: readonly BlockInfo[];
  readonly covariates: readonly CovariateDecl[];
  readonly constants: readonly ConstantDecl[];
  readonly parameters: readonly ParameterDecl[];
  readonly correlations: readonly CorrelationDecl[];
  readonly errorParameters: readonly ParameterDecl[];
  readonly states: readonly StateDecl[];
  readonly ode: readonly OdeStmt[];
  readonly dosing: readonly DosingStmt[];
  readonly observations: readonly ObservationStmt[];
  readonly range: Range;
  /**
   * True when the file had syntax errors: this AST holds what could be read, and parts of the model may be missing
   * from it. The checker then reports nothing that is about something being absent or unused.
   */
  readonly recovered?: boolean;
  /**
   * With `recovered`: the names written in the parts of the file that were not read (a skipped block, the rest of a
   * broken line, a statement recovery gave up on). They may be declared there, so the checker does not report
   * them as unknown.
   */
  readonly unreadNames?: ReadonlySet<string>;
}
