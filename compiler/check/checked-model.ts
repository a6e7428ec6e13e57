/**
 * The checked model: the AST's declarations with meaning attached — resolved symbols with kinds, parameter
 * distributions, error models, dosing — and definitions in dependency order. Lowering reads only this.
 */
import type { Range } from '../../diagnostics/source-range.js';
import type { DefinitionStmt, Expr, ModelAst } from '../../grammar/ast.js';

export type SymbolKind = 'parameter' | 'errorParameter' | 'covariate' | 'constant' | 'state' | 'definition' | 'time' | 'namedConstant';

export interface SymbolInfo {
  readonly name: string;
  readonly kind: SymbolKind;
  /** Absent for the built-in `t` and named constants. */
  readonly declRange?: Range;
  readonly doc?: string;
  readonly unit?: string;
}

/** Individual-parameter transforms: ψ_i = h(φ + effects + η_i), with h the inverse of the estimation scale. */
export type Transform =
  | { readonly kind: 'normal' }
  | { readonly kind: 'lognormal' }
  | { readonly kind: 'logitnormal'; readonly lower: number; readonly upper: number }
  | { readonly kind: 'probitnormal'; readonly lower: number; readonly upper: number };

export interface CheckedParameter {
  readonly name: string;
  readonly range: Range;
  readonly initial: number;
  readonly fixed: boolean;
  readonly transform: Transform;
  /** Present when the parameter varies between subjects. ω is the sd of η on the estimation scale. */
  readonly omega?: { readonly initial: number; readonly fixed: boolean };
  /**
   * `iov(omega = w)`: the parameter also varies between the occasions of a subject, κ_ik ~ N(0, w²) on the
   * estimation scale, one κ per occasion of the model's occasion covariate.
   */
  readonly iov?: { readonly initial: number; readonly fixed: boolean; readonly range: Range };
  /** Covariate effects, added on the estimation scale. */
  readonly effects: readonly Expr[];
  readonly doc?: string;
  readonly unit?: string;
}

/** `correlation(a, b) = r`: parameters' indices with first < second (both have random effects). */
export interface CheckedCorrelation {
  readonly first: number;
  readonly second: number;
  readonly initial: number;
  readonly fixed: boolean;
  readonly range: Range;
}

export interface CheckedErrorParameter {
  readonly name: string;
  readonly range: Range;
  readonly initial: number;
  readonly fixed: boolean;
  readonly doc?: string;
}

/**
 * sd of the residual as a function of the prediction f:
 * constant a; proportional b·|f|; combined1 a + b·|f| (Monolix); combined2 √(a² + b²f²) (NONMEM's additive + proportional).
 */
export type ErrorModel =
  | { readonly kind: 'constant'; readonly a: string }
  | { readonly kind: 'proportional'; readonly b: string }
  | { readonly kind: 'combined1'; readonly a: string; readonly b: string }
  | { readonly kind: 'combined2'; readonly a: string; readonly b: string };

export type DataTransform = 'log' | 'log10' | 'logit';
export type Censoring = 'left' | 'right' | 'interval';

export interface CheckedObservation {
  readonly name: string;
  readonly range: Range;
  /** The value of DVID/YTYPE that selects this output's rows. */
  readonly dvid: number;
  readonly prediction: Expr;
  readonly dataTransform?: DataTransform;
  readonly errorModel: ErrorModel;
  readonly censoring?: Censoring;
}

export interface CheckedInput {
  readonly name: string;
  readonly range: Range;
  readonly target: string;
  /** Data rows with this CMT dose into `target`. */
  readonly cmt: number;
  readonly lag?: Expr;
  readonly bioavailability?: Expr;
  /** `infusion`: RATE (or a model duration/rate) from data; otherwise a bolus. */
  readonly infusion: boolean;
  readonly duration?: Expr;
  readonly rate?: Expr;
}

export interface CheckedDose {
  readonly range: Range;
  readonly amount: Expr;
  readonly target: string;
  readonly times: readonly Expr[];
  readonly duration?: Expr;
}

/** How a covariate that changes within a subject is read between its rows: carried forward (NONMEM's) or linear. */
export type Interpolation = 'locf' | 'linear';

export interface CheckedCovariate {
  readonly name: string;
  readonly range: Range;
  readonly categorical: boolean;
  readonly interpolation: Interpolation;
  /** `occasions(K)`: this column numbers the subject's occasions 1..K (inter-occasion variability reads it). */
  readonly occasions?: number;
}

export interface CheckedState {
  readonly name: string;
  readonly range: Range;
  readonly initial?: Expr;
  readonly derivative: Expr;
}

/** A use of a symbol in the source, for go-to-definition, references and rename. */
export interface Reference {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly range: Range;
}

export interface CheckedModel {
  readonly ast: ModelAst;
  readonly name: string;
  readonly symbols: ReadonlyMap<string, SymbolInfo>;
  readonly parameters: readonly CheckedParameter[];
  /** Correlations of random effects; blocks are their connected sets (correlations.ts). */
  readonly correlations: readonly CheckedCorrelation[];
  readonly errorParameters: readonly CheckedErrorParameter[];
  readonly covariates: readonly CheckedCovariate[];
  readonly constants: ReadonlyMap<string, number | readonly number[]>;
  readonly states: readonly CheckedState[];
  /** Every definition, each after the ones it uses. */
  readonly definitions: readonly DefinitionStmt[];
  readonly inputs: readonly CheckedInput[];
  readonly doses: readonly CheckedDose[];
  readonly observations: readonly CheckedObservation[];
  readonly references: readonly Reference[];
}
