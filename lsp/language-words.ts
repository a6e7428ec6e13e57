/**
 * What the language's own words mean, for hover: the parameter distributions, the observation distribution, the
 * error models and the expression forms (`if`, `piecewise`, `sum`). The wording follows docs/language.md, which
 * is the reference; built-in functions are documented in stdlib/builtins.ts instead.
 */

export interface WordDoc {
  /** How the word is written, shown as code. */
  readonly signature: string;
  /** What kind of word it is, shown in bold. */
  readonly kind: string;
  readonly doc: string;
}

const scaleNote = 'Without `omega` the parameter is the same for every subject (still estimated on this scale, unless `fixed`).';

/** Distributions of parameters (`CL = 0.04 lognormal(omega = 0.3)`): ψᵢ = h(φ + effects + ηᵢ), ηᵢ ~ N(0, ω²). */
/** `correlation(a, b) = r` in the parameters block. */
export const correlationWord: WordDoc = {
  signature: 'correlation(CL, V) = r', kind: 'correlation of random effects',
  doc: 'corr(η_CL, η_V) = r: the two parameters\' random effects are correlated, with r the initial value (between −1 and 1; `fixed` keeps it). Correlated parameters form a block (every pair in it declared), Ω is full over the block, and each correlation is estimated on Fisher\'s z scale (z = atanh r), with its SE and a 95 % interval.',
};

/** `iov(omega = w)` after a parameter's distribution, and `occasions(K)` on the covariate that numbers the occasions. */
export const occasionWords: ReadonlyMap<string, WordDoc> = new Map([
  ['iov', {
    signature: 'CL = 3 lognormal(omega = 0.3) iov(omega = 0.15)', kind: 'inter-occasion variability',
    doc: 'ψᵢₖ = h(φ + effects + ηᵢ + κᵢₖ), κᵢₖ ~ N(0, ω_iov²): the parameter also varies between the occasions of a subject, k the occasion of the row (the covariate declared `occasions(K)`). One κ per occasion, all sharing ω_iov (reported as `omega_iov_<name>`); only the ode and observe blocks may read the parameter.',
  }],
  ['occasions', {
    signature: 'OCC occasions(3)', kind: 'occasion column',
    doc: 'This covariate numbers each row\'s occasion, 1 to K (carried forward between rows; the data column is found under its name or as OCC or OCCASION). Parameters with `iov(...)` get one random effect per occasion.',
  }],
]);

export const parameterDistributions: ReadonlyMap<string, WordDoc> = new Map([
  ['normal', {
    signature: 'name = initial normal(omega = w)', kind: 'parameter distribution',
    doc: `ψᵢ = φ + effects + ηᵢ, ηᵢ ~ N(0, ω²): estimated on its natural scale (φ = ψ), any real value; the default when no distribution is written. ${scaleNote}`,
  }],
  ['lognormal', {
    signature: 'name = initial lognormal(omega = w)', kind: 'parameter distribution',
    doc: `ψᵢ = exp(φ + effects + ηᵢ), ηᵢ ~ N(0, ω²): positive, estimated on the log scale (φ = log ψ, so the initial value must be > 0); ω is the sd of log ψᵢ, about the coefficient of variation when small. ${scaleNote}`,
  }],
  ['logitnormal', {
    signature: 'name = initial in (l, u) logitnormal(omega = w)', kind: 'parameter distribution',
    doc: `ψᵢ = l + (u − l)·expit(φ + effects + ηᵢ), ηᵢ ~ N(0, ω²): between the bounds \`in (l, u)\` (default (0, 1)), estimated on the logit scale, φ = logit((ψ − l)/(u − l)). ${scaleNote}`,
  }],
  ['probitnormal', {
    signature: 'name = initial in (l, u) probitnormal(omega = w)', kind: 'parameter distribution',
    doc: `ψᵢ = l + (u − l)·Φ(φ + effects + ηᵢ), ηᵢ ~ N(0, ω²), Φ the standard normal CDF: between the bounds \`in (l, u)\` (default (0, 1)), estimated on the probit scale, φ = Φ⁻¹((ψ − l)/(u − l)). ${scaleNote}`,
  }],
]);

/** The distribution of observations (`y ~ normal(prediction, sd = ...)`). */
export const observationDistribution: WordDoc = {
  signature: 'name ~ normal(prediction, sd = error model)', kind: 'observation distribution',
  doc: 'Each observation is normal around the prediction f, with the standard deviation given by `sd`: an error parameter or a number (constant), or `constant(a)`, `proportional(b)`, `combined1(a, b)`, `combined(a, b)`. `log(y) ~ normal(log(f), sd = ...)` compares log data (also `log10`, `logit`): log-normal residuals.',
};

const operands = 'Its arguments are error parameters (declared in `error { }`) or declared here, as `a = 0.5` (`a = 0.5 fixed`).';

/** Error models: the residual sd as a function of the prediction f. */
export const errorModels: ReadonlyMap<string, WordDoc> = new Map([
  ['constant', { signature: 'sd = constant(a)', kind: 'error model', doc: `sd = a, the same for every prediction (additive error; \`sd = sigma\` is the same). ${operands}` }],
  ['proportional', { signature: 'sd = proportional(b)', kind: 'error model', doc: `sd = b·|f|: a constant coefficient of variation b. ${operands}` }],
  ['combined1', { signature: 'sd = combined1(a, b)', kind: 'error model', doc: `sd = a + b·|f| (Monolix's combined1). ${operands}` }],
  ['combined', { signature: 'sd = combined(a, b)', kind: 'error model', doc: `sd = √(a² + b²f²): additive and proportional errors added as variances (NONMEM's additive + proportional, Monolix's combined2); the same as \`combined2\`. ${operands}` }],
  ['combined2', { signature: 'sd = combined2(a, b)', kind: 'error model', doc: `sd = √(a² + b²f²) (Monolix's combined2, NONMEM's additive + proportional); the same as \`combined\`. ${operands}` }],
]);

const ifDoc: WordDoc = {
  signature: 'if condition then a else b', kind: 'expression',
  doc: 'a where the condition holds, b elsewhere. Conditions use `< <= > >= == !=` and `and or not`. A comparison of `t` with a subject-level value (`t < t2`) is an integration breakpoint; one that involves a state is allowed but warned (W303).',
};
const piecewiseDoc: WordDoc = {
  signature: 'piecewise(c1: v1, c2: v2, ..., otherwise: v)', kind: 'expression',
  doc: 'The value of the first case whose condition holds, else the `otherwise` value (required). A comparison of `t` with a subject-level value (`t < t2`) is an integration breakpoint, so the integrator stops and restarts there.',
};
const sumDoc: WordDoc = {
  signature: 'sum(v in list: expr)', kind: 'expression',
  doc: 'The sum of expr over each value v of a constant list (`[50, 90, 130]`, or a list from the constants block), unrolled at compile time. v is a name of its own inside expr.',
};

/** Keyword tokens of the expression forms, by the lexer's token name. */
export const expressionKeywords: ReadonlyMap<string, WordDoc> = new Map([
  ['Kw_if', ifDoc], ['Kw_then', ifDoc], ['Kw_else', ifDoc],
  ['Kw_piecewise', piecewiseDoc], ['Kw_otherwise', piecewiseDoc],
  ['Kw_sum', sumDoc],
]);
