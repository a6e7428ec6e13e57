/**
 * Meaning of declaration modifiers: parameter distributions and bounds, covariate kinds, error models, dosing
 * qualifiers and observation options. Each function reads one AST declaration and reports what is wrong with it.
 */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { closest } from '../../diagnostics/suggest.js';
import type { Argument, Expr, Modifier, ObservationStmt, ParameterDecl } from '../../grammar/ast.js';
import type { Censoring, CheckedParameter, DataTransform, ErrorModel, Interpolation, Transform } from './checked-model.js';

const transformWords = ['normal', 'lognormal', 'logitnormal', 'probitnormal'] as const;
const parameterWords = [...transformWords, 'effect', 'iov'];

/** A number written directly (possibly negated); undefined for anything else. */
export function literalNumber(e: Expr): number | undefined {
  if (e.kind === 'number') return e.value;
  if (e.kind === 'unary' && e.op === '-' && e.operand.kind === 'number') return -e.operand.value;
  return undefined;
}

function wordModifiers(mods: readonly Modifier[]): Extract<Modifier, { kind: 'word' }>[] {
  return mods.filter((m): m is Extract<Modifier, { kind: 'word' }> => m.kind === 'word');
}

/** Reads a parameter declaration's modifiers into a distribution. `effects` are left for the expression checker. */
export function checkParameter(p: ParameterDecl, diagnostics: Diagnostic[]): CheckedParameter {
  const fixed = p.modifiers.some((m) => m.kind === 'fixed');
  const bounds = p.modifiers.find((m): m is Extract<Modifier, { kind: 'bounds' }> => m.kind === 'bounds');
  let transform: Transform = { kind: 'normal' };
  let transformSeen: Extract<Modifier, { kind: 'word' }> | undefined;
  let omega: CheckedParameter['omega'];
  const effects: Expr[] = [];
  let iov: CheckedParameter['iov'];
  for (const m of wordModifiers(p.modifiers)) {
    if (m.word === 'iov') {
      if (iov) diagnostics.push(diagnostic('E235', m.range, `'${p.name}' already has iov(...)`));
      else iov = readIov(m, diagnostics);
      continue;
    }
    if (m.word === 'effect') {
      if (!m.args || m.args.length !== 1 || m.args[0]!.name !== undefined) {
        diagnostics.push(diagnostic('E211', m.range, "effect(...) takes one expression, added on the estimation scale, e.g. effect(beta_WT * log(WT / 70))"));
      } else {
        effects.push(m.args[0]!.value);
      }
      continue;
    }
    if (!(transformWords as readonly string[]).includes(m.word)) {
      const guess = closest(m.word, parameterWords);
      diagnostics.push(
        diagnostic('E210', m.wordRange, `unknown parameter modifier '${m.word}'${guess ? `; did you mean '${guess}'?` : `: expected fixed, in (lower, upper), ${parameterWords.join(', ')}`}`, guess ? { fix: { title: `Change to '${guess}'`, range: m.wordRange, newText: guess } } : {}),
      );
      continue;
    }
    if (transformSeen) {
      diagnostics.push(diagnostic('E211', m.range, `'${p.name}' already has the distribution '${transformSeen.word}'`));
      continue;
    }
    transformSeen = m;
    const lower = bounds?.lower ?? 0;
    const upper = bounds?.upper ?? 1;
    const word = m.word as (typeof transformWords)[number];
    transform = word === 'logitnormal' || word === 'probitnormal' ? { kind: word, lower, upper } : { kind: word };
    for (const a of m.args ?? []) {
      if (a.name !== 'omega') {
        diagnostics.push(diagnostic('E211', a.nameRange ?? a.range, `${m.word}(...) takes 'omega = value', the standard deviation of the random effect`));
        continue;
      }
      if (a.value.kind === 'missing') continue;
      const v = literalNumber(a.value);
      if (v === undefined || !(v > 0)) {
        diagnostics.push(diagnostic('E215', a.value.range, 'omega must be a positive number (the standard deviation of the random effect)'));
        continue;
      }
      omega = { initial: v, fixed: a.fixed };
    }
  }
  // NaN: the initial value or a bound could not be read, and its syntax error is reported; no more to say.
  const readable = !Number.isNaN(p.initial) && !(bounds && (Number.isNaN(bounds.lower) || Number.isNaN(bounds.upper)));
  if (bounds && readable) {
    if (!(bounds.lower < bounds.upper)) {
      diagnostics.push(diagnostic('E213', bounds.range, `the lower bound must be below the upper bound, found (${bounds.lower}, ${bounds.upper})`));
    } else if (!(p.initial > bounds.lower && p.initial < bounds.upper)) {
      diagnostics.push(diagnostic('E213', p.initialRange, `the initial value ${p.initial} lies outside the bounds (${bounds.lower}, ${bounds.upper})`));
    } else if (transform.kind === 'normal' || transform.kind === 'lognormal') {
      diagnostics.push(diagnostic('E213', bounds.range, `bounds need a bounded distribution: write logitnormal or probitnormal after 'in (${bounds.lower}, ${bounds.upper})'`));
    }
  }
  if (readable && transform.kind === 'lognormal' && !(p.initial > 0)) {
    diagnostics.push(diagnostic('E214', p.initialRange, `a lognormal parameter must start positive, found ${p.initial}`));
  }
  if (readable && (transform.kind === 'logitnormal' || transform.kind === 'probitnormal') && !bounds && !(p.initial > 0 && p.initial < 1)) {
    diagnostics.push(diagnostic('E214', p.initialRange, `a ${transform.kind} parameter lies in (0, 1) unless bounds are given with 'in (lower, upper)', found ${p.initial}`));
  }
  if (iov && fixed) {
    diagnostics.push(diagnostic('E235', iov.range, `'${p.name}' is fixed but varies between occasions; remove 'fixed', or drop iov(...)`));
  }
  if (iov && transform.kind === 'probitnormal') {
    diagnostics.push(diagnostic('E235', iov.range, 'iov(...) takes a normal, lognormal or logitnormal parameter; write logitnormal instead of probitnormal'));
  }
  if (fixed && omega && transformSeen) {
    diagnostics.push(diagnostic('E212', transformSeen.range, `'${p.name}' is fixed but has a random effect; remove 'fixed', or drop omega to keep it the same for every subject`));
  }
  return {
    name: p.name, range: p.nameRange, initial: p.initial, fixed, transform, effects,
    ...(omega && !(fixed && transformSeen) ? { omega } : {}), ...(iov && !fixed ? { iov } : {}), ...(p.doc ? { doc: p.doc } : {}), ...(p.unit !== undefined ? { unit: p.unit } : {}),
  };
}

/** `iov(omega = w [fixed])`: the sd of the per-occasion effect, like a distribution's omega. */
function readIov(m: Extract<Modifier, { kind: 'word' }>, diagnostics: Diagnostic[]): CheckedParameter['iov'] {
  const args = m.args ?? [];
  const omega = args.find((a) => a.name === 'omega');
  for (const a of args) {
    if (a !== omega) diagnostics.push(diagnostic('E235', a.nameRange ?? a.range, "iov(...) takes 'omega = value', the standard deviation of the per-occasion effect"));
  }
  if (!omega) {
    if (args.length === 0) diagnostics.push(diagnostic('E235', m.range, "iov(...) needs 'omega = value', the standard deviation of the per-occasion effect, e.g. iov(omega = 0.1)"));
    return undefined;
  }
  if (omega.value.kind === 'missing') return undefined;
  const v = literalNumber(omega.value);
  if (v === undefined || !(v > 0)) {
    diagnostics.push(diagnostic('E215', omega.value.range, 'omega must be a positive number (the standard deviation of the per-occasion effect)'));
    return undefined;
  }
  return { initial: v, fixed: omega.fixed, range: m.range };
}

/** Error parameters are standard deviations: positive, optionally fixed, nothing else. */
export function checkErrorParameter(p: ParameterDecl, diagnostics: Diagnostic[]): boolean {
  for (const m of p.modifiers) {
    if (m.kind === 'fixed') continue;
    diagnostics.push(diagnostic('E210', m.range, "an error parameter takes only 'fixed'"));
  }
  if (!Number.isNaN(p.initial) && !(p.initial > 0)) {
    diagnostics.push(diagnostic('E214', p.initialRange, `an error parameter is a standard deviation and must start positive, found ${p.initial}`));
  }
  return p.modifiers.some((m) => m.kind === 'fixed');
}

/** What the covariate modifiers say: `categorical` / `continuous`, and `interpolate(locf | linear)`. */
export function checkCovariateModifiers(mods: readonly Modifier[], diagnostics: Diagnostic[]): { categorical: boolean; interpolation: Interpolation; occasions?: number } {
  let categorical = false;
  let interpolation: Interpolation = 'locf';
  let occasions: number | undefined;
  for (const m of mods) {
    if (m.kind === 'word' && m.word === 'occasions') {
      occasions = readOccasions(m, diagnostics) ?? occasions;
      continue;
    }
    if (m.kind === 'word' && (m.word === 'categorical' || m.word === 'continuous') && !m.args) {
      categorical = m.word === 'categorical';
      continue;
    }
    if (m.kind === 'word' && m.word === 'interpolate') {
      const arg = m.args?.[0]?.value;
      if (arg?.kind === 'missing') continue;
      const kind = arg?.kind === 'name' ? arg.name : undefined;
      if (m.args?.length !== 1 || (kind !== 'locf' && kind !== 'linear')) {
        diagnostics.push(diagnostic('E210', m.range, 'interpolate(...) takes locf (the last value carried forward, the default) or linear (a straight line between the rows that give a value)'));
      } else interpolation = kind;
      continue;
    }
    const word = m.kind === 'word' ? m.word : m.kind;
    const guess = m.kind === 'word' ? closest(m.word, ['categorical', 'continuous', 'interpolate', 'occasions']) : undefined;
    diagnostics.push(diagnostic('E210', m.range, `unknown covariate modifier '${word}'${guess ? `; did you mean '${guess}'?` : ": expected 'categorical', 'continuous', interpolate(...) or occasions(K)"}`));
  }
  if (occasions !== undefined && interpolation === 'linear') {
    const m = mods.find((x) => x.kind === 'word' && x.word === 'interpolate')!;
    diagnostics.push(diagnostic('E235', m.range, 'an occasion column numbers occasions: it cannot be interpolated; drop interpolate(linear)'));
  }
  if (occasions !== undefined) return { categorical: true, interpolation: 'locf', occasions };
  if (categorical && interpolation === 'linear') {
    const m = mods.find((x) => x.kind === 'word' && x.word === 'interpolate')!;
    diagnostics.push(diagnostic('E210', m.range, 'a categorical covariate cannot be interpolated linearly (its values are categories); drop interpolate(linear)'));
  }
  return { categorical, interpolation };
}

/** The most occasions a model may declare: each is one more random effect per iov(...) parameter. */
export const MAX_OCCASIONS = 20;

/** `occasions(K)`: K whole, 1 ≤ K ≤ MAX_OCCASIONS. */
function readOccasions(m: Extract<Modifier, { kind: 'word' }>, diagnostics: Diagnostic[]): number | undefined {
  const arg = m.args?.length === 1 && m.args[0]!.name === undefined ? m.args[0]!.value : undefined;
  if (arg?.kind === 'missing') return undefined;
  const v = arg ? literalNumber(arg) : undefined;
  if (v === undefined || !Number.isInteger(v) || v < 1 || v > MAX_OCCASIONS) {
    diagnostics.push(diagnostic('E235', m.range, `occasions(K) takes the number of occasions, a whole number from 1 to ${MAX_OCCASIONS}, e.g. OCC occasions(3)`));
    return undefined;
  }
  return v;
}

const dataTransforms: readonly DataTransform[] = ['log', 'log10', 'logit'];
const errorModelWords = ['constant', 'proportional', 'combined', 'combined1', 'combined2'];

/** An error-model operand: an error parameter's name, or `name = value` declaring one inline. */
export interface ErrorOperand {
  readonly name: string;
  readonly range: Expr['range'];
  /** Present when declared inline: the initial value and whether it is fixed. */
  readonly inline?: { readonly initial: number; readonly fixed: boolean };
}

export interface ObservationShape {
  readonly prediction?: Expr;
  readonly dataTransform?: DataTransform;
  readonly errorModel?: ErrorModel;
  readonly operands: readonly ErrorOperand[];
  readonly censoring?: Censoring;
  readonly dvid?: number;
}

function errorOperand(a: Argument | undefined, fallbackName: string, diagnostics: Diagnostic[], where: Expr['range']): ErrorOperand | undefined {
  if (!a) {
    diagnostics.push(diagnostic('E217', where, 'missing error-model argument'));
    return undefined;
  }
  if (a.value.kind === 'missing') return undefined;
  if (a.name === undefined && a.value.kind === 'name') return { name: a.value.name, range: a.value.range };
  const v = literalNumber(a.value);
  if (v !== undefined) {
    if (!(v > 0)) {
      diagnostics.push(diagnostic('E214', a.value.range, `an error standard deviation must be positive, found ${v}`));
      return undefined;
    }
    return { name: a.name ?? fallbackName, range: a.nameRange ?? a.value.range, inline: { initial: v, fixed: a.fixed } };
  }
  diagnostics.push(diagnostic('E217', a.value.range, "an error-model argument is an error parameter's name or a positive number, e.g. combined(a = 0.5, b = 0.1)"));
  return undefined;
}

/** Reads `name ~ normal(prediction, sd = ...) modifiers`. */
export function checkObservationShape(o: ObservationStmt, diagnostics: Diagnostic[]): ObservationShape {
  if (o.distribution !== 'normal') {
    const guess = closest(o.distribution, ['normal']);
    diagnostics.push(diagnostic('E216', o.distributionRange, `unknown distribution '${o.distribution}': observations are 'normal(prediction, sd = ...)'${guess ? "; did you mean 'normal'?" : ''}; for log-normal data write 'log(${o.name}) ~ normal(log(prediction), sd = ...)'`));
  }
  let dataTransform: DataTransform | undefined;
  if (o.dataTransform) {
    if ((dataTransforms as readonly string[]).includes(o.dataTransform.name)) dataTransform = o.dataTransform.name as DataTransform;
    else diagnostics.push(diagnostic('E219', o.dataTransform.range, `unknown data transform '${o.dataTransform.name}': expected ${dataTransforms.join(', ')}`));
  }
  const positional = o.args.filter((a) => a.name === undefined);
  const prediction = positional[0]?.value;
  if (!prediction) diagnostics.push(diagnostic('E217', o.range, `'${o.name}' needs a prediction: ${o.name} ~ normal(prediction, sd = ...)`));
  const extras = positional.slice(1);
  for (const extra of extras) diagnostics.push(diagnostic('E217', extra.range, "only the prediction is positional; name the others, as in 'sd = sigma'"));
  const misnamed = o.args.filter((a) => a.name !== undefined && a.name !== 'sd');
  const operands: ErrorOperand[] = [];
  let errorModel: ErrorModel | undefined;
  const sdArg = o.args.find((a) => a.name === 'sd');
  for (const a of misnamed) diagnostics.push(diagnostic('E217', a.nameRange ?? a.range, `normal(...) takes the prediction and 'sd = ...', found '${a.name}'`));
  if (!sdArg) {
    // An extra positional or misnamed argument is most likely the error model written wrongly: reported above.
    if (prediction && extras.length === 0 && misnamed.length === 0) diagnostics.push(diagnostic('E217', o.range, `'${o.name}' needs an error model: add 'sd = sigma', or sd = combined(a = 0.5, b = 0.1)`));
  } else {
    const v = sdArg.value;
    if (v.kind === 'call' && errorModelWords.includes(v.callee)) {
      const need = v.callee === 'constant' || v.callee === 'proportional' ? 1 : 2;
      const arityOk = v.args.length === need;
      if (!arityOk) diagnostics.push(diagnostic('E204', v.range, `${v.callee}(...) takes ${need} argument${need === 1 ? '' : 's'}, found ${v.args.length}`));
      // A missing argument is the arity error just reported, not a second one.
      const operand = (a: Argument | undefined, fallback: string): ErrorOperand | undefined => (a || arityOk ? errorOperand(a, fallback, diagnostics, v.range) : undefined);
      const first = operand(v.args[0], `${o.name}_${v.callee === 'proportional' ? 'b' : 'a'}`);
      const second = need === 2 ? operand(v.args[1], `${o.name}_b`) : undefined;
      if (first) operands.push(first);
      if (second) operands.push(second);
      if (first && (need === 1 || second)) {
        errorModel =
          v.callee === 'constant' ? { kind: 'constant', a: first.name }
          : v.callee === 'proportional' ? { kind: 'proportional', b: first.name }
          : v.callee === 'combined1' ? { kind: 'combined1', a: first.name, b: second!.name }
          : { kind: 'combined2', a: first.name, b: second!.name };
      }
    } else if (v.kind === 'call') {
      const guess = closest(v.callee, errorModelWords);
      diagnostics.push(diagnostic('E218', v.calleeRange, `unknown error model '${v.callee}'${guess ? `; did you mean '${guess}'?` : `: expected ${errorModelWords.join(', ')}`}`));
    } else {
      const op = errorOperand({ ...sdArg, name: undefined } as Argument, `${o.name}_sd`, diagnostics, v.range);
      if (op) {
        operands.push(sdArg.fixed && op.inline ? { ...op, inline: { ...op.inline, fixed: true } } : op);
        errorModel = { kind: 'constant', a: op.name };
      }
    }
  }
  let censoring: Censoring | undefined;
  let dvid: number | undefined;
  for (const m of o.modifiers) {
    if (m.kind === 'word' && m.word === 'censored') {
      const arg = m.args?.[0]?.value;
      if (arg?.kind === 'missing') continue;
      const kind = arg?.kind === 'name' ? arg.name : undefined;
      if (m.args?.length !== 1 || (kind !== 'left' && kind !== 'right' && kind !== 'interval')) {
        diagnostics.push(diagnostic('E232', m.range, 'censored(...) takes left (CENS = 1: below the LLOQ in DV), right (CENS = -1: above DV) or interval (either, between DV and LIMIT)'));
      } else censoring = kind;
      continue;
    }
    if (m.kind === 'word' && m.word === 'dvid') {
      if (m.args?.[0]?.value.kind === 'missing') continue;
      const n = m.args?.length === 1 ? literalNumber(m.args[0]!.value) : undefined;
      if (n === undefined || !Number.isInteger(n) || n < 1) diagnostics.push(diagnostic('E211', m.range, 'dvid(n) takes a whole number ≥ 1, the DVID/YTYPE value of this output'));
      else dvid = n;
      continue;
    }
    const word = m.kind === 'word' ? m.word : m.kind;
    const guess = m.kind === 'word' ? closest(m.word, ['censored', 'dvid']) : undefined;
    diagnostics.push(diagnostic('E210', m.range, `unknown observation modifier '${word}'${guess ? `; did you mean '${guess}'?` : ': expected censored(...) or dvid(n)'}`));
  }
  return {
    operands,
    ...(prediction ? { prediction } : {}), ...(dataTransform ? { dataTransform } : {}), ...(errorModel ? { errorModel } : {}),
    ...(censoring ? { censoring } : {}), ...(dvid !== undefined ? { dvid } : {}),
  };
}

export interface InputShape {
  readonly cmt?: number;
  readonly lag?: Expr;
  readonly bioavailability?: Expr;
  readonly infusion: boolean;
  readonly duration?: Expr;
  readonly rate?: Expr;
}

const inputWords = ['lag', 'bioavailability', 'infusion', 'duration', 'rate', 'cmt'];

/** Reads the qualifiers of `input` (all of `inputWords`) or `dose` (duration only). */
export function checkDosingModifiers(mods: readonly Modifier[], allowed: readonly string[], diagnostics: Diagnostic[]): InputShape {
  const out: { -readonly [K in keyof InputShape]: InputShape[K] } = { infusion: false };
  for (const m of mods) {
    if (m.kind !== 'word' || !allowed.includes(m.word)) {
      const word = m.kind === 'word' ? m.word : m.kind;
      const guess = m.kind === 'word' ? closest(m.word, allowed) : undefined;
      diagnostics.push(diagnostic('E210', m.kind === 'word' ? m.wordRange : m.range, `unknown dosing modifier '${word}'${guess ? `; did you mean '${guess}'?` : `: expected ${allowed.join(', ')}`}`));
      continue;
    }
    if (m.word === 'infusion') {
      if (m.args) diagnostics.push(diagnostic('E211', m.range, "'infusion' takes no arguments: the rate comes from the RATE column, or give duration(...) or rate(...)"));
      out.infusion = true;
      continue;
    }
    const arg = m.args?.length === 1 && m.args[0]!.name === undefined ? m.args[0]!.value : undefined;
    if (!arg) {
      diagnostics.push(diagnostic('E211', m.range, `${m.word}(...) takes one expression`));
      continue;
    }
    if (m.word === 'cmt') {
      if (arg.kind === 'missing') continue;
      const n = literalNumber(arg);
      if (n === undefined || !Number.isInteger(n) || n < 1) diagnostics.push(diagnostic('E211', arg.range, 'cmt(n) takes a whole number ≥ 1, the CMT value of dose rows'));
      else out.cmt = n;
    } else if (m.word === 'lag') out.lag = arg;
    else if (m.word === 'bioavailability') out.bioavailability = arg;
    else if (m.word === 'duration') out.duration = arg;
    else if (m.word === 'rate') out.rate = arg;
  }
  if (out.duration && out.rate) diagnostics.push(diagnostic('E211', mods[mods.length - 1]!.range, 'give an infusion a duration or a rate, not both'));
  return out;
}

export { inputWords };
