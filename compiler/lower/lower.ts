/**
 * Stage 3: checked model → Model IR. Definitions are lowered once each, in dependency order, and referenced by
 * node id wherever they are used, so the IR shares them instead of copying. Breakpoints are found here: every
 * comparison of `t` with a quantity fixed for the subject (a function of parameters and covariates) in the RHS.
 */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Range } from '../../diagnostics/source-range.js';
import type { CheckedModel, ErrorModel, Transform } from '../check/checked-model.js';
import { dependsOn, topoOrder, type NodeId } from '../ir/expr.js';
import type { IrDose, IrInput, IrOutput, IrParameter, IrRandomEffect, ModelIR } from '../ir/model-ir.js';
import { ExprBuilder } from '../rewrite/builder.js';
import { lowerExpr, type LowerEnv } from './lower-expr.js';
import { lowerMlp } from './neural.js';
import { erf as erfApprox } from '../../stdlib/special-functions.js';

export interface LowerResult {
  readonly ir: ModelIR;
  readonly diagnostics: readonly Diagnostic[];
  /** The source range of the first expression lowered to each node (not every node has one: derivatives do not). */
  readonly sources: ReadonlyMap<NodeId, Range>;
}

/** The estimation-scale value of a natural-scale initial value. */
export function toEstimationScale(t: Transform, value: number): number {
  switch (t.kind) {
    case 'normal':
      return value;
    case 'lognormal':
      return Math.log(value);
    case 'logitnormal': {
      const u = (value - t.lower) / (t.upper - t.lower);
      return Math.log(u / (1 - u));
    }
    case 'probitnormal':
      return probit((value - t.lower) / (t.upper - t.lower));
  }
}

/** The natural-scale value ψ = h(φ) of an estimation-scale value φ (the inverse of toEstimationScale). */
export function toNaturalScale(t: Transform, phi: number): number {
  switch (t.kind) {
    case 'normal':
      return phi;
    case 'lognormal':
      return Math.exp(phi);
    case 'logitnormal':
      return t.lower + (t.upper - t.lower) / (1 + Math.exp(-phi));
    case 'probitnormal':
      return t.lower + (t.upper - t.lower) * 0.5 * (1 + erfApprox(phi / Math.SQRT2));
  }
}

/** Φ⁻¹(u) by bisection on the table's normcdf: exact to f64 and only run at compile time. */
function probit(u: number): number {
  let lo = -40;
  let hi = 40;
  const cdf = (z: number): number => 0.5 * (1 + erfApprox(z / Math.SQRT2));
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (cdf(mid) < u) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}


/** ψ = h(z): the natural value from the estimation-scale value z. */
function fromEstimationScale(b: ExprBuilder, t: Transform, z: NodeId): NodeId {
  switch (t.kind) {
    case 'normal':
      return z;
    case 'lognormal':
      return b.call('exp', [z]);
    case 'logitnormal':
      return b.add(b.num(t.lower), b.mul(b.num(t.upper - t.lower), b.call('expit', [z])));
    case 'probitnormal':
      return b.add(b.num(t.lower), b.mul(b.num(t.upper - t.lower), b.call('normcdf', [z])));
  }
}

function errorSd(b: ExprBuilder, m: ErrorModel, e: (name: string) => NodeId): NodeId {
  const f = b.variable('f', 0);
  switch (m.kind) {
    case 'constant':
      return e(m.a);
    case 'proportional':
      return b.mul(e(m.b), b.call('abs', [f]));
    case 'combined1':
      return b.add(e(m.a), b.mul(e(m.b), b.call('abs', [f])));
    case 'combined2':
      return b.call('sqrt', [b.add(b.pow(e(m.a), b.num(2)), b.mul(b.pow(e(m.b), b.num(2)), b.pow(f, b.num(2))))]);
  }
}

export interface LowerOptions {
  /**
   * Network weights (by their generated names, `mlp1_w1_1_1`, …) lowered as these constants instead of parameters:
   * the maximum-likelihood finish holds the trained weights (runtime/uq/neural-held.ts), and a model without them
   * as parameters has no sensitivity columns for them.
   */
  readonly heldWeights?: ReadonlyMap<string, number>;
}

export function lowerModel(m: CheckedModel, options: LowerOptions = {}): LowerResult {
  const b = new ExprBuilder();
  const diagnostics: Diagnostic[] = [];
  const parameters: IrParameter[] = [];
  const randomEffects: IrRandomEffect[] = [];
  for (const p of m.parameters) {
    const eta = p.omega ? randomEffects.length : undefined;
    if (p.omega) randomEffects.push({ name: `eta_${p.name}`, parameter: parameters.length, omegaInitial: p.omega.initial, omegaFixed: p.omega.fixed, omegaName: `omega_${p.name}` });
    parameters.push({
      name: p.name, initial: p.initial, estimationInitial: toEstimationScale(p.transform, p.initial), fixed: p.fixed, transform: p.transform, neural: false,
      ...(eta !== undefined ? { eta } : {}), ...(p.unit !== undefined ? { unit: p.unit } : {}), ...(p.doc ? { doc: p.doc } : {}),
    });
  }
  const occasionColumn = m.covariates.findIndex((c) => c.occasions !== undefined);
  const kappaOf = occasionColumn >= 0 ? addOccasionEffects(m, m.covariates[occasionColumn]!.occasions!, parameters, randomEffects) : new Map<number, number[]>();
  const correlations = m.correlations.map((c) => {
    const [first, second] = [parameters[c.first]!.eta!, parameters[c.second]!.eta!];
    return { first: Math.min(first, second), second: Math.max(first, second), initial: c.initial, fixed: c.fixed };
  });
  const paramIndex = new Map(m.parameters.map((p, i) => [p.name, i]));
  const stateIndex = new Map(m.states.map((s, i) => [s.name, i]));
  const covIndex = new Map(m.covariates.map((c, i) => [c.name, i]));
  const errIndex = new Map(m.errorParameters.map((e, i) => [e.name, i]));
  const lists = new Map<string, readonly number[]>();
  for (const [name, v] of m.constants) if (typeof v !== 'number') lists.set(name, v);

  const definitions = new Map<string, NodeId>();
  const sources = new Map<NodeId, Range>();
  let mlpCount = 0;
  const shifted = new Map<number, NodeId>();
  const parameterNode = (k: number): NodeId => {
    const kappas = kappaOf.get(k);
    if (!kappas) return b.variable('p', k);
    if (!shifted.has(k)) shifted.set(k, occasionShifted(b, parameters[k]!.transform, b.variable('p', k), currentOccasionEffect(b, occasionColumn, kappas)));
    return shifted.get(k)!;
  };
  const env: LowerEnv = {
    b, lists, sources,
    lookup: (name) => {
      if (name === 't') return b.variable('t', 0);
      const k = paramIndex.get(name);
      if (k !== undefined) return parameterNode(k);
      const s = stateIndex.get(name);
      if (s !== undefined) return b.variable('x', s);
      const c = covIndex.get(name);
      if (c !== undefined) return b.variable('c', c);
      const v = m.constants.get(name);
      if (typeof v === 'number') return b.num(v);
      return definitions.get(name);
    },
    mlp: (e, inputs) => {
      mlpCount++;
      return lowerMlp(b, e, inputs, `mlp${mlpCount}`, (p) => {
        const held = options.heldWeights?.get(p.name);
        if (held !== undefined) return b.num(held);
        parameters.push(p);
        return b.variable('p', parameters.length - 1);
      });
    },
  };
  for (const d of m.definitions) definitions.set(d.name, lowerExpr(d.value, env));

  const rhs = m.states.map((s) => lowerExpr(s.derivative, env));
  const initial = m.states.map((s) => (s.initial ? lowerExpr(s.initial, env) : b.num(0)));

  // g: p_k = h_k(phi_k + effects_k + eta_k); effects read the population (natural) values of other parameters.
  const populationValue = (k: number): NodeId => fromEstimationScale(b, parameters[k]!.transform, b.variable('phi', k));
  const effectEnv: LowerEnv = { ...env, lookup: (name) => { const k = paramIndex.get(name); return k !== undefined ? populationValue(k) : env.lookup(name); } };
  const individual = parameters.map((p, k) => {
    const declared = m.parameters[k];
    let z = b.variable('phi', k);
    for (const e of declared?.effects ?? []) z = b.add(z, lowerExpr(e, effectEnv));
    if (p.eta !== undefined) z = b.add(z, b.variable('eta', p.eta));
    return fromEstimationScale(b, p.transform, z);
  });

  const errorNode = (name: string): NodeId => b.variable('e', errIndex.get(name)!);
  const outputs: IrOutput[] = m.observations.map((o) => ({
    name: o.name, dvid: o.dvid, prediction: lowerExpr(o.prediction, env), errorModel: o.errorModel, sd: errorSd(b, o.errorModel, errorNode),
    ...(o.dataTransform ? { dataTransform: o.dataTransform } : {}), ...(o.censoring ? { censoring: o.censoring } : {}),
  }));

  const inputs: IrInput[] = m.inputs.map((i) => ({
    name: i.name, target: stateIndex.get(i.target)!, cmt: i.cmt, infusion: i.infusion,
    ...(i.lag ? { lag: lowerExpr(i.lag, env) } : {}), ...(i.bioavailability ? { bioavailability: lowerExpr(i.bioavailability, env) } : {}),
    ...(i.duration ? { duration: lowerExpr(i.duration, env) } : {}), ...(i.rate ? { rate: lowerExpr(i.rate, env) } : {}),
  }));
  const doses: IrDose[] = m.doses.map((d) => ({
    target: stateIndex.get(d.target)!, amount: lowerExpr(d.amount, env), times: d.times.map((t) => lowerExpr(t, env)),
    ...(d.duration ? { duration: lowerExpr(d.duration, env) } : {}),
  }));

  const breakpoints = findBreakpoints(b, rhs, (id, message) => diagnostics.push(diagnostic('W303', sources.get(id) ?? m.ast.nameRange, message)));
  const sensitivityParameters = parameters.map((p, k) => (p.fixed ? -1 : k)).filter((k) => k >= 0);
  const ir: ModelIR = {
    name: m.name, builder: b,
    states: m.states.map((s) => { const sym = m.symbols.get(s.name); return { name: s.name, ...(sym?.unit !== undefined ? { unit: sym.unit } : {}), ...(sym?.doc ? { doc: sym.doc } : {}) }; }),
    parameters, randomEffects, correlations,
    covariates: m.covariates.map((c) => ({ name: c.name, categorical: c.categorical, interpolation: c.interpolation, ...(c.occasions !== undefined ? { occasions: c.occasions } : {}) })),
    errorParameters: m.errorParameters.map((e) => ({ name: e.name, initial: e.initial, fixed: e.fixed })),
    sensitivityParameters, individual, initial, rhs, outputs, inputs, doses, breakpoints,
  };
  return { ir, diagnostics, sources };
}

/**
 * κ parameters for inter-occasion variability, after the declared ones: for each `iov(...)` parameter one normal
 * parameter per occasion whose individual value is its random effect, the effects sharing one ω. Returns the κ
 * parameter indices of each such declared parameter.
 */
function addOccasionEffects(m: CheckedModel, occasions: number, parameters: IrParameter[], randomEffects: IrRandomEffect[]): Map<number, number[]> {
  const kappaOf = new Map<number, number[]>();
  m.parameters.forEach((p, of) => {
    if (!p.iov) return;
    const first = randomEffects.length;
    const indices: number[] = [];
    for (let occasion = 1; occasion <= occasions; occasion++) {
      const name = `kappa_${p.name}_${occasion}`;
      randomEffects.push({ name, parameter: parameters.length, omegaInitial: p.iov.initial, omegaFixed: p.iov.fixed, omegaName: `omega_iov_${p.name}`, ...(occasion > 1 ? { sharesOmegaWith: first } : {}) });
      indices.push(parameters.length);
      parameters.push({ name, initial: 0, estimationInitial: 0, fixed: false, transform: { kind: 'normal' }, neural: false, eta: randomEffects.length - 1, occasion: { of, occasion } });
    }
    kappaOf.set(of, indices);
  });
  return kappaOf;
}

/** κ of the occasion the occasion column names now: Σ_k [OCC = k] κ_k (0 outside 1..K; the data reader refuses those rows). */
function currentOccasionEffect(b: ExprBuilder, column: number, kappas: readonly number[]): NodeId {
  const occ = b.variable('c', column);
  return b.sum(kappas.map((k, i) => b.select(b.compare('eq', occ, b.num(i + 1)), b.variable('p', k), b.num(0))));
}

/** ψ shifted by κ on its estimation scale: h(h⁻¹(ψ) + κ). (Probitnormal is refused by the checker: Φ⁻¹ is no built-in.) */
function occasionShifted(b: ExprBuilder, t: Transform, psi: NodeId, kappa: NodeId): NodeId {
  switch (t.kind) {
    case 'normal':
      return b.add(psi, kappa);
    case 'lognormal':
      return b.mul(psi, b.call('exp', [kappa]));
    case 'logitnormal': {
      const width = t.upper - t.lower;
      const logit = b.call('logit', [b.div(b.sub(psi, b.num(t.lower)), b.num(width))]);
      return b.add(b.num(t.lower), b.mul(b.num(width), b.call('expit', [b.add(logit, kappa)])));
    }
    case 'probitnormal':
      throw new Error('internal: iov(...) on a probitnormal parameter reached lowering (the checker refuses it, E235)');
  }
}

/**
 * Comparisons `t ⋚ E` or `E ⋚ t` in the RHS with E fixed for the subject make E a breakpoint. Other comparisons
 * that involve t cannot be located in advance: they are reported, and the step-size controller has to cope.
 */
function findBreakpoints(b: ExprBuilder, roots: readonly NodeId[], warn: (condition: NodeId, message: string) => void): NodeId[] {
  const found: NodeId[] = [];
  const t = b.variable('t', 0);
  for (const id of topoOrder(b.pool, roots)) {
    const n = b.node(id);
    if (n.op !== 'lt' && n.op !== 'le' && n.op !== 'gt' && n.op !== 'ge' && n.op !== 'eq' && n.op !== 'ne') continue;
    const other = n.a === t ? n.b : n.b === t ? n.a : undefined;
    if (other !== undefined && !dependsOn(b.pool, other, ['t', 'x'])) {
      if (!found.includes(other)) found.push(other);
    } else if (dependsOn(b.pool, id, ['t']) && !dependsOn(b.pool, id, ['x'])) {
      warn(id, 'a condition on time is not of the form t < value, so the solver cannot stop exactly where it changes; write it as a comparison of t with a value');
    }
  }
  return found;
}
