/**
 * The model functions both back ends emit, described once: their names, arguments, and the IR roots of each
 * output. An "indexed" function takes an index first and selects one of its cases (one output, one input, one
 * dose event): the kernel evaluates only the output an observation row belongs to.
 *
 * Matrices are flattened row-major: entry (i, j) of an r × c result is element i·c + j.
 */
import type { NodeId } from '../ir/expr.js';
import type { ModelIR } from '../ir/model-ir.js';
import type { ModelDerivatives } from '../diff/model-derivatives.js';

/** Argument kinds, in the order a function takes them. */
export type ArgKind = 't' | 'x' | 'p' | 'c' | 'phi' | 'eta' | 'e' | 'f';

export interface ModelFunction {
  readonly name: string;
  readonly doc: string;
  readonly indexed: boolean;
  readonly args: readonly ArgKind[];
  /** One list of roots per case (exactly one case when not indexed). */
  readonly cases: readonly (readonly NodeId[])[];
  /** The number of values each case returns. */
  readonly length: number;
}

/** A model-declared dose, expanded to one event per time. */
export interface DoseEvent {
  readonly target: number;
  readonly amount: NodeId;
  readonly time: NodeId;
  readonly duration?: NodeId;
  readonly dAmount: readonly NodeId[];
  readonly dTime: readonly NodeId[];
  readonly dDuration?: readonly NodeId[];
}

export function doseEvents(ir: ModelIR, d: ModelDerivatives): DoseEvent[] {
  return ir.doses.flatMap((dose, k) =>
    dose.times.map((time, j) => ({
      target: dose.target, amount: dose.amount, time, dAmount: d.doses[k]!.amount, dTime: d.doses[k]!.times[j]!,
      ...(dose.duration !== undefined ? { duration: dose.duration, dDuration: d.doses[k]!.duration! } : {}),
    })),
  );
}

/** The sizes of the index spaces, as both back ends and the runtime see them. */
export interface ModelDimensions {
  readonly nx: number;
  readonly np: number;
  readonly ns: number;
  readonly nc: number;
  readonly neta: number;
  readonly ne: number;
  readonly nout: number;
  readonly ninputs: number;
  readonly ndoses: number;
  readonly nbreakpoints: number;
}

export function dimensions(ir: ModelIR, events: readonly DoseEvent[]): ModelDimensions {
  return {
    nx: ir.states.length, np: ir.parameters.length, ns: ir.sensitivityParameters.length, nc: ir.covariates.length,
    neta: ir.randomEffects.length, ne: ir.errorParameters.length, nout: ir.outputs.length, ninputs: ir.inputs.length,
    ndoses: events.length, nbreakpoints: ir.breakpoints.length,
  };
}

export function modelFunctions(ir: ModelIR, d: ModelDerivatives): ModelFunction[] {
  const b = ir.builder;
  const zero = b.num(0);
  const one = b.num(1);
  const ns = ir.sensitivityParameters.length;
  const zeros = (n: number): NodeId[] => Array.from({ length: n }, () => zero);
  const events = doseEvents(ir, d);
  const single = (name: string, doc: string, args: ArgKind[], roots: readonly NodeId[]): ModelFunction => ({ name, doc, indexed: false, args, cases: [roots], length: roots.length });
  const indexed = (name: string, doc: string, args: ArgKind[], cases: readonly (readonly NodeId[])[], length: number): ModelFunction => ({ name, doc, indexed: true, args, cases, length });
  const input = <K extends 'lag' | 'bioavailability' | 'duration' | 'rate'>(key: K, absent: NodeId) => ({
    value: ir.inputs.map((i) => [i[key] ?? absent]),
    grad: ir.inputs.map((_, n) => d.inputs[n]![key] ?? zeros(ns)),
  });
  const lag = input('lag', zero);
  const bio = input('bioavailability', one);
  const dur = input('duration', zero);
  const rate = input('rate', zero);
  return [
    single('individual', 'Individual parameters p = g(phi, eta, c).', ['phi', 'eta', 'c'], ir.individual),
    single('individualDphi', '∂p/∂phi, np × np.', ['phi', 'eta', 'c'], d.dgdphi.flat()),
    single('individualDeta', '∂p/∂eta, np × neta.', ['phi', 'eta', 'c'], d.dgdeta.flat()),
    single('initial', 'Initial state x0(p, c).', ['p', 'c'], ir.initial),
    single('initialDp', '∂x0/∂p, nx × ns.', ['p', 'c'], d.dx0dp.flat()),
    single('rhs', 'Right-hand side f(t, x, p, c).', ['t', 'x', 'p', 'c'], ir.rhs),
    single('rhsDx', 'Jacobian ∂f/∂x, nx × nx.', ['t', 'x', 'p', 'c'], d.dfdx.flat()),
    single('rhsDt', '∂f/∂t, nx.', ['t', 'x', 'p', 'c'], d.dfdt),
    single('rhsDp', '∂f/∂p, nx × ns.', ['t', 'x', 'p', 'c'], d.dfdp.flat()),
    indexed('predict', 'Prediction h_o(t, x, p, c) of output o.', ['t', 'x', 'p', 'c'], ir.outputs.map((o) => [o.prediction]), 1),
    indexed('predictDx', '∂h_o/∂x, nx.', ['t', 'x', 'p', 'c'], d.dhdx, ir.states.length),
    indexed('predictDp', '∂h_o/∂p, ns.', ['t', 'x', 'p', 'c'], d.dhdp, ns),
    indexed('errorSd', 'Residual sd of output o at prediction f.', ['f', 'e'], ir.outputs.map((o) => [o.sd]), 1),
    indexed('errorSdDf', '∂sd_o/∂f.', ['f', 'e'], d.dsddf.map((x) => [x]), 1),
    indexed('errorSdDe', '∂sd_o/∂e, ne.', ['f', 'e'], d.dsdde, ir.errorParameters.length),
    single('breakpoints', 'Times where the RHS is discontinuous.', ['p', 'c'], ir.breakpoints),
    single('breakpointsDp', '∂breakpoint/∂p, nbp × ns.', ['p', 'c'], d.dbreakpoints.flat()),
    indexed('inputLag', 'Lag time of data doses through input i (0 if none).', ['p', 'c'], lag.value, 1),
    indexed('inputLagDp', '∂lag_i/∂p, ns.', ['p', 'c'], lag.grad, ns),
    indexed('inputBioavailability', 'Bioavailable fraction of input i (1 if none).', ['p', 'c'], bio.value, 1),
    indexed('inputBioavailabilityDp', '∂F_i/∂p, ns.', ['p', 'c'], bio.grad, ns),
    indexed('inputDuration', 'Model-given infusion duration of input i (0: from data or a bolus).', ['p', 'c'], dur.value, 1),
    indexed('inputDurationDp', '∂duration_i/∂p, ns.', ['p', 'c'], dur.grad, ns),
    indexed('inputRate', 'Model-given infusion rate of input i (0: from data or a bolus).', ['p', 'c'], rate.value, 1),
    indexed('inputRateDp', '∂rate_i/∂p, ns.', ['p', 'c'], rate.grad, ns),
    indexed('doseAmount', 'Amount of model-declared dose event k.', ['p', 'c'], events.map((e) => [e.amount]), 1),
    indexed('doseAmountDp', '∂amount_k/∂p, ns.', ['p', 'c'], events.map((e) => e.dAmount), ns),
    indexed('doseTime', 'Time of model-declared dose event k.', ['p', 'c'], events.map((e) => [e.time]), 1),
    indexed('doseTimeDp', '∂time_k/∂p, ns.', ['p', 'c'], events.map((e) => e.dTime), ns),
    indexed('doseDuration', 'Infusion duration of dose event k (0: a bolus).', ['p', 'c'], events.map((e) => [e.duration ?? zero]), 1),
    indexed('doseDurationDp', '∂duration_k/∂p, ns.', ['p', 'c'], events.map((e) => e.dDuration ?? zeros(ns)), ns),
  ];
}
