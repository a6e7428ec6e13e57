/**
 * The data reader's Dataset → the engine's packed layout. Observation values are put on each output's scale
 * (log, log10 or logit of DV when the model declares `log(y) ~ ...`), so the engines compare like with like.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
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
    for (let j = 0; j < ds.observationCount[s]!; j++) {
      const output = ds.obsOutput[s * O + j]!;
      const transform = ir.outputs[output]?.dataTransform;
      const raw = ds.obsValue[s * O + j]!;
      const value = transform ? transforms[transform](raw) : raw;
      if (!Number.isFinite(value)) {
        problems.push({ subject: id, message: `row ${ds.obsRow[s * O + j]}: DV ${raw} has no ${transform} (the output '${ir.outputs[output]!.name}' is ${transform}-transformed)` });
        continue;
      }
      obsTimes.push(ds.obsTime[s * O + j]!);
      obsValues.push(value);
      obsOutputs.push(output);
    }
    const D = ds.maxDoses;
    const doses = [];
    for (let k = 0; k < ds.doseCount[s]!; k++) {
      doses.push({ time: ds.doseTime[s * D + k]!, amount: ds.doseAmount[s * D + k]!, input: ds.doseInput[s * D + k]!, rate: ds.doseRate[s * D + k]! });
    }
    const covariates = Array.from({ length: C }, (_, c) => ds.covariateValues[s * ds.maxCovariateChanges * C + c]!);
    subjects.push({ obsTimes, obsValues, obsOutputs, doses, covariates });
  }
  if (problems.length > 0) return { problems };
  return { data: packSubjects(subjects, C), problems };
}
