/**
 * What a model needs from a data file, and nothing else: the reader is told this instead of being handed the
 * whole Model IR, so it can be tested (and reused by tools that only know a model's interface) without compiling
 * a model, and so the data layer does not depend on the compiler's internals.
 */
import { freeVars } from '../../compiler/ir/expr.js';
import type { ModelIR } from '../../compiler/ir/model-ir.js';

export interface CovariateRequirement {
  /** The model's name for it; the data column of the same name (any case) holds it unless `--map` says otherwise. */
  readonly name: string;
  /** Categorical covariates must be coded as whole numbers. */
  readonly categorical: boolean;
  /**
   * Between a subject's rows: 'locf' (default) the last value carried forward, 'linear' a straight line between the
   * rows that give a value (constant before the first and after the last).
   */
  readonly interpolation?: 'locf' | 'linear';
  /** The occasion column: whole numbers 1..occasions; found under its name or as OCC / OCCASION. */
  readonly occasions?: number;
}

export interface OutputRequirement {
  readonly name: string;
  /** Observation rows with this DVID (or YTYPE) belong to this output. */
  readonly dvid: number;
  /** How the model treats censored rows (CENS ≠ 0); absent when it declares no censoring. */
  readonly censoring?: 'left' | 'right' | 'interval';
}

export interface InputRequirement {
  readonly name: string;
  /** Dose rows with this CMT dose through this input. */
  readonly cmt: number;
  /** Takes zero-order input (RATE > 0 from the data); a bolus input does not. */
  readonly infusion: boolean;
  /** The model defines the rate: RATE = -1 rows are allowed. */
  readonly modelRate: boolean;
  /** The model defines the duration: RATE = -2 rows are allowed. */
  readonly modelDuration: boolean;
  /**
   * An output's prediction reads the input's target state, so a bolus moves a prediction at once (a bolus into a
   * depot does not): what makes an observation between this dose and an earlier event at one time matter (D308). Absent: no.
   */
  readonly observed?: boolean;
}

export interface DataRequirements {
  readonly covariates: readonly CovariateRequirement[];
  readonly outputs: readonly OutputRequirement[];
  readonly inputs: readonly InputRequirement[];
}

export function requirementsFromIr(ir: ModelIR): DataRequirements {
  const read = new Set(freeVars(ir.builder.pool, ir.outputs.map((o) => o.prediction)).filter((v) => v.kind === 'x').map((v) => v.index));
  return {
    covariates: ir.covariates.map((c) => ({
      name: c.name, categorical: c.categorical, ...(c.interpolation === 'linear' ? { interpolation: 'linear' as const } : {}), ...(c.occasions !== undefined ? { occasions: c.occasions } : {}),
    })),
    outputs: ir.outputs.map((o) => ({ name: o.name, dvid: o.dvid, ...(o.censoring ? { censoring: o.censoring } : {}) })),
    inputs: ir.inputs.map((i) => ({
      name: i.name, cmt: i.cmt, infusion: i.infusion, modelRate: i.rate !== undefined, modelDuration: i.duration !== undefined, observed: read.has(i.target),
    })),
  };
}
