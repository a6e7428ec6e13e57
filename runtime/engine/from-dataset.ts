/**
 * The data reader's Dataset → the engine's packed layout. Observation values are put on each output's scale
 * (log, log10 or logit of DV when the model declares `log(y) ~ ...`), so the engines compare like with like.
 *
 * Censored rows (CENS ≠ 0) become the likelihood terms of stdlib/observation-terms.ts, as runtime/data documents
 * CENS and LIMIT: CENS = 1, the value lies below DV (the LLOQ), above LIMIT when one is given; CENS = −1, above DV,
 * below LIMIT when given. A censored row on an output that does not declare the matching `censored(...)` is a
 * problem naming its rows — never fitted as an observed value.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
import { ObservationCode } from '../../stdlib/observation-terms.js';
import { packSubjects, type EngineData, type EngineSubject } from './engine-data.js';

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
  for (let s = 0; s < ds.subjectCount; s++) {
    const id = ds.ids[s]!;
    if (ds.covariateChangeCount[s]! > 1) {
      problems.push({ subject: id, message: `subject ${id}: a covariate changes over time, and the engine does not integrate across covariate changes yet; give each subject constant covariates` });
      continue;
    }
    const O = ds.maxObservations;
    const obsTimes: number[] = [];
    const obsValues: number[] = [];
    const obsOutputs: number[] = [];
    const obsCensoring: number[] = [];
    const obsLimits: number[] = [];
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
    const covariates = Array.from({ length: C }, (_, c) => ds.covariateValues[s * ds.maxCovariateChanges * C + c]!);
    subjects.push({ obsTimes, obsValues, obsOutputs, obsCensoring, obsLimits, doses, covariates });
  }
  if (problems.length > 0) return { problems };
  return { data: packSubjects(subjects, C), problems };
}
