/**
 * Every first derivative the engine and the fit need, assembled from the IR. Columns for p are the
 * sensitivity parameters (the estimated ones), in `ir.sensitivityParameters` order.
 *
 * Forward sensitivities S = ∂x/∂p obey dS/dt = (∂f/∂x) S + ∂f/∂p with S(0) = ∂x0/∂p; an observation's gradient is
 * ∂h/∂x · S + ∂h/∂p. Dose times and amounts that depend on p make S jump at doses; those jumps use the dosing
 * derivatives below.
 */
import type { NodeId } from '../ir/expr.js';
import type { ModelIR } from '../ir/model-ir.js';
import { Differentiator } from './differentiate.js';

export interface InputDerivatives {
  readonly lag?: readonly NodeId[];
  readonly bioavailability?: readonly NodeId[];
  readonly duration?: readonly NodeId[];
  readonly rate?: readonly NodeId[];
}

export interface DoseDerivatives {
  readonly amount: readonly NodeId[];
  readonly times: readonly (readonly NodeId[])[];
  readonly duration?: readonly NodeId[];
}

export interface ModelDerivatives {
  readonly differentiator: Differentiator;
  /** ∂f/∂x, nx × nx. */
  readonly dfdx: readonly (readonly NodeId[])[];
  /** ∂f/∂t, nx (for Rosenbrock methods on non-autonomous models). */
  readonly dfdt: readonly NodeId[];
  /** ∂f/∂p, nx × ns. */
  readonly dfdp: readonly (readonly NodeId[])[];
  /** ∂x0/∂p, nx × ns. */
  readonly dx0dp: readonly (readonly NodeId[])[];
  /** ∂h/∂x, nout × nx. */
  readonly dhdx: readonly (readonly NodeId[])[];
  /** ∂h/∂p, nout × ns. */
  readonly dhdp: readonly (readonly NodeId[])[];
  /** ∂sd/∂f per output. */
  readonly dsddf: readonly NodeId[];
  /** ∂sd/∂e, nout × ne. */
  readonly dsdde: readonly (readonly NodeId[])[];
  /** ∂p/∂phi, np × np (diagonal unless covariate effects read other parameters). */
  readonly dgdphi: readonly (readonly NodeId[])[];
  /** ∂p/∂eta, np × neta. */
  readonly dgdeta: readonly (readonly NodeId[])[];
  readonly inputs: readonly InputDerivatives[];
  readonly doses: readonly DoseDerivatives[];
  /** ∂breakpoint/∂p, nbp × ns. */
  readonly dbreakpoints: readonly (readonly NodeId[])[];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function differentiateModel(ir: ModelIR): ModelDerivatives {
  const D = new Differentiator(ir.builder);
  const s = ir.sensitivityParameters;
  const nx = ir.states.length;
  const grad = (root: NodeId): NodeId[] => s.map((k) => D.d(root, 'p', k));
  return {
    differentiator: D,
    dfdx: D.jacobian(ir.rhs, 'x', range(nx)),
    dfdt: ir.rhs.map((f) => D.d(f, 't', 0)),
    dfdp: D.jacobian(ir.rhs, 'p', s),
    dx0dp: D.jacobian(ir.initial, 'p', s),
    dhdx: D.jacobian(ir.outputs.map((o) => o.prediction), 'x', range(nx)),
    dhdp: D.jacobian(ir.outputs.map((o) => o.prediction), 'p', s),
    dsddf: ir.outputs.map((o) => D.d(o.sd, 'f', 0)),
    dsdde: D.jacobian(ir.outputs.map((o) => o.sd), 'e', range(ir.errorParameters.length)),
    dgdphi: D.jacobian(ir.individual, 'phi', range(ir.parameters.length)),
    dgdeta: D.jacobian(ir.individual, 'eta', range(ir.randomEffects.length)),
    inputs: ir.inputs.map((i) => ({
      ...(i.lag !== undefined ? { lag: grad(i.lag) } : {}), ...(i.bioavailability !== undefined ? { bioavailability: grad(i.bioavailability) } : {}),
      ...(i.duration !== undefined ? { duration: grad(i.duration) } : {}), ...(i.rate !== undefined ? { rate: grad(i.rate) } : {}),
    })),
    doses: ir.doses.map((d) => ({ amount: grad(d.amount), times: d.times.map(grad), ...(d.duration !== undefined ? { duration: grad(d.duration) } : {}) })),
    dbreakpoints: ir.breakpoints.map(grad),
  };
}
