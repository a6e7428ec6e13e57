/**
 * The data reader's Dataset → the engine's packed layout. Observation values are put on each output's scale
 * (log, log10 or logit of DV when the model declares `log(y) ~ ...`), so the engines compare like with like.
 *
 * Censored rows (CENS ≠ 0) become the likelihood terms of stdlib/observation-terms.ts, as runtime/data documents
 * CENS and LIMIT: CENS = 1, the value lies below DV (the LLOQ), above LIMIT when one is given; CENS = −1, above DV,
 * below LIMIT when given. A censored row on an output that does not declare the matching `censored(...)` is a
 * problem naming its rows — never fitted as an observed value.
 *
 * Covariates that change within a subject go to the engine as points of a piecewise-linear function of time; a
 * changing covariate that an individual parameter reads (evaluated once per subject) is a problem naming it.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
import { ObservationCode } from '../../stdlib/observation-terms.js';
import { freeVars, type NodeId } from '../../compiler/ir/expr.js';
import { changesOverTime, packSubjects, type CovariatePoint, type EngineData, type EngineSubject } from './engine-data.js';

const transforms = {
  log: Math.log,
  log10: Math.log10,
  logit: (v: number) => Math.log(v / (1 - v)),
} as const;

export interface ConversionProblem {
  readonly subject: string;
  readonly message: string;
}

/** The engine data, or the problems that prevent it (each naming the subject). */
export function engineDataFromDataset(ds: Dataset, ir: ModelIR): { data?: EngineData; problems: ConversionProblem[] } {
  const problems: ConversionProblem[] = [];
  const subjects: EngineSubject[] = [];
  const C = ds.covariateCount;
  /** Covariates the subject-level functions read (evaluated once, with the first row's values): those must not change. */
  const perSubject = new Set(freeVars(ir.builder.pool, subjectLevelRoots(ir)).filter((v) => v.kind === 'c').map((v) => v.index));
  for (let s = 0; s < ds.subjectCount; s++) {
    const id = ds.ids[s]!;
    const covariatePoints = pointsOf(ds, s);
    for (const c of changing(covariatePoints, C)) {
      if (!perSubject.has(c)) continue;
      problems.push({ subject: id, message: `subject ${id}: covariate '${ir.covariates[c]!.name}' changes over time, but a quantity evaluated once per subject reads it (a parameter's effect(...), an initial state, a dose's amount, time, lag, bioavailability, duration or rate, or a breakpoint); only the ode and observe blocks follow a covariate over time — use it there, or keep it constant within each subject` });
    }
    const O = ds.maxObservations;
    const obsTimes: number[] = [];
    const obsValues: number[] = [];
    const obsOutputs: number[] = [];
    const obsCensoring: number[] = [];
    const obsLimits: number[] = [];
    const obsAfterEvents: number[] = [];
    /** Rows censored on an output without the matching `censored(...)`, by output. */
    const undeclared = new Map<number, number[]>();
    for (let j = 0; j < ds.observationCount[s]!; j++) {
      const output = ds.obsOutput[s * O + j]!;
      const transform = ir.outputs[output]?.dataTransform;
      const raw = ds.obsValue[s * O + j]!;
      const row = ds.obsRow[s * O + j]!;
      const value = transform ? transforms[transform](raw) : raw;
      if (!Number.isFinite(value)) {
        problems.push({ subject: id, message: `row ${row}: DV ${raw} has no ${transform} (the output '${ir.outputs[output]!.name}' is ${transform}-transformed)` });
        continue;
      }
      const cens = ds.obsCensoring[s * O + j]!;
      let code: ObservationCode = ObservationCode.observed;
      let limit = NaN;
      if (cens !== 0) {
        const declared = ir.outputs[output]?.censoring;
        const side = cens === 1 ? 'left' : 'right';
        if (declared !== side && declared !== 'interval') {
          undeclared.set(output, [...(undeclared.get(output) ?? []), row]);
          continue;
        }
        const rawLimit = ds.obsLimit[s * O + j]!;
        const bound = rawLimit !== rawLimit ? NaN : transform ? transforms[transform](rawLimit) : rawLimit;
        // An infinite bound after the transform (log of a LIMIT of 0) is no bound.
        const open = rawLimit !== rawLimit || bound === (cens === 1 ? -Infinity : Infinity);
        if (open) code = cens === 1 ? ObservationCode.below : ObservationCode.above;
        else if (!Number.isFinite(bound) || (cens === 1 ? !(bound < value) : !(bound > value))) {
          const want = cens === 1 ? 'below DV (CENS=1: the value lies between LIMIT and DV)' : 'above DV (CENS=-1: the value lies between DV and LIMIT)';
          problems.push({ subject: id, message: `row ${row}: LIMIT ${rawLimit} must be ${want}${transform && !Number.isFinite(bound) ? `, and have a ${transform}` : ''}; DV is ${raw}` });
          continue;
        } else {
          code = ObservationCode.between;
          limit = bound;
        }
      }
      obsTimes.push(ds.obsTime[s * O + j]!);
      obsValues.push(value);
      obsOutputs.push(output);
      obsCensoring.push(code);
      obsLimits.push(limit);
      obsAfterEvents.push(ds.obsAfterEvent[s * O + j]!);
    }
    for (const [output, rows] of undeclared) {
      const o = ir.outputs[output]!;
      const shown = rows.length > 10 ? `${rows.slice(0, 10).join(', ')} and ${rows.length - 10} more` : rows.join(', ');
      problems.push({
        subject: id,
        message: `row${rows.length > 1 ? 's' : ''} ${shown}: CENS marks the value censored, but output '${o.name}' ${o.censoring ? `declares censored(${o.censoring}), not the side these rows need` : 'declares no censoring'}; add censored(left), censored(right) or censored(interval) to it (censored rows are never fitted as observed values)`,
      });
    }
    const D = ds.maxDoses;
    const doses = [];
    for (let k = 0; k < ds.doseCount[s]!; k++) {
      const at = s * D + k;
      doses.push({ time: ds.doseTime[at]!, amount: ds.doseAmount[at]!, input: ds.doseInput[at]!, rate: ds.doseRate[at]!, kind: ds.doseKind[at]!, interval: ds.doseInterval[at]! });
    }
    const covariates = covariatePoints[0]!.values;
    subjects.push({ obsTimes, obsValues, obsOutputs, obsCensoring, obsLimits, obsAfterEvents, doses, covariates, ...(changesOverTime(covariatePoints) ? { covariatePoints } : {}) });
  }
  if (problems.length > 0) return { problems };
  return { data: packSubjects(subjects, C), problems };
}

/** Subject s's covariate points (runtime/data/covariate-points.ts). */
export function pointsOf(ds: Dataset, s: number): CovariatePoint[] {
  const K = ds.maxCovariateChanges;
  const C = ds.covariateCount;
  return Array.from({ length: ds.covariateChangeCount[s]! }, (_, k) => {
    const at = (s * K + k) * C;
    return { time: ds.covariateTime[s * K + k]!, values: Array.from(ds.covariateValues.subarray(at, at + C)), slopes: Array.from(ds.covariateSlope.subarray(at, at + C)) };
  });
}

/** The covariates whose value changes over the points (a step, or a slope). */
function changing(points: readonly CovariatePoint[], C: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) if (points.some((p) => p.values[c] !== points[0]!.values[c] || p.slopes[c] !== 0)) out.push(c);
  return out;
}

/** The roots of what is evaluated once per subject: individual parameters, initial states, dosing, breakpoints. */
function subjectLevelRoots(ir: ModelIR): NodeId[] {
  const roots: NodeId[] = [...ir.individual, ...ir.initial, ...ir.breakpoints];
  for (const i of ir.inputs) for (const n of [i.lag, i.bioavailability, i.duration, i.rate]) if (n !== undefined) roots.push(n);
  for (const d of ir.doses) roots.push(d.amount, ...d.times, ...(d.duration !== undefined ? [d.duration] : []));
  return roots;
}
