/** Building the subjects to simulate, from a design file or from a template dataset. */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
import { changesOverTime, type CovariatePoint } from '../engine/engine-data.js';
import { pointsOf } from '../engine/from-dataset.js';
import { drawCovariate, subjectTimes, type Design } from './design.js';
import type { Random } from '../nn/random.js';
import type { SimulationSubject } from './simulate.js';

/** Every output is observed at every design time; covariates and jitter are drawn per subject. */
export function subjectsFromDesign(ir: ModelIR, design: Design, random: Random): { subjects?: SimulationSubject[]; errors: string[] } {
  const errors: string[] = [];
  const occasionColumn = ir.covariates.findIndex((c) => c.occasions !== undefined);
  const fromOccasions = (c: number): boolean => c === occasionColumn && design.occasions !== undefined;
  ir.covariates.forEach((c, k) => {
    if (c.name in design.covariates || fromOccasions(k)) return;
    errors.push(`the design gives no values for the covariate '${c.name}': add "covariates": { "${c.name}": { "value": ... } }${c.occasions !== undefined ? ', or the occasions\' start times, "occasions": [0, 24, ...]' : ''}`);
  });
  if (design.occasions && occasionColumn < 0) errors.push('the design has "occasions", but the model has no occasion column (a covariate declared occasions(K))');
  const K = occasionColumn >= 0 ? ir.covariates[occasionColumn]!.occasions! : 0;
  if (design.occasions && occasionColumn >= 0 && design.occasions.length > K) errors.push(`the design has ${design.occasions.length} occasions, but the model's ${ir.covariates[occasionColumn]!.name} occasions(${K}) numbers only ${K}`);
  for (const name of Object.keys(design.covariates)) if (!ir.covariates.some((c) => c.name === name)) errors.push(`the design's covariate '${name}' is not a covariate of the model`);
  const doses = design.doses.map((d) => ({ ...d, input: ir.inputs.findIndex((i) => i.cmt === d.cmt) }));
  for (const d of doses) if (d.input < 0) errors.push(`a design dose has cmt ${d.cmt}, but the model's inputs take ${ir.inputs.map((i) => `cmt ${i.cmt} (${i.name})`).join(', ') || 'no doses'}`);
  if (errors.length > 0) return { errors };
  const subjects: SimulationSubject[] = [];
  for (let i = 0; i < design.subjects; i++) {
    const times = subjectTimes(design, random);
    const obsTimes = times.flatMap((t) => ir.outputs.map(() => t));
    const obsOutputs = times.flatMap(() => ir.outputs.map((_, o) => o));
    const covariates = ir.covariates.map((c, k) => (fromOccasions(k) ? 1 : drawCovariate(design.covariates[c.name]!, random)));
    subjects.push({
      id: String(i + 1), obsTimes, obsOutputs, doses: doses.map((d) => ({ time: d.time, amount: d.amount, input: d.input, rate: d.rate })), covariates,
      ...(design.occasions && occasionColumn >= 0 ? { covariatePoints: occasionPoints(design.occasions, covariates, occasionColumn) } : {}),
    });
  }
  return { subjects, errors };
}

/** The template's subjects, observation times and outputs, doses and covariates; its DV values are replaced. */
export function subjectsFromDataset(ds: Dataset): { subjects?: SimulationSubject[]; errors: string[] } {
  const errors: string[] = [];
  const subjects: SimulationSubject[] = [];
  const C = ds.covariateCount;
  for (let s = 0; s < ds.subjectCount; s++) {
    const O = ds.maxObservations;
    const D = ds.maxDoses;
    if (ds.doseKind.subarray(s * D, s * D + ds.doseCount[s]!).some((kind) => kind !== 0)) {
      errors.push(`subject ${ds.ids[s]}: the template has steady-state doses (SS) or resets (EVID 3/4), which simulated data files do not write yet`);
      continue;
    }
    const n = ds.observationCount[s]!;
    const points = pointsOf(ds, s);
    subjects.push({
      id: ds.ids[s]!,
      obsTimes: Array.from({ length: n }, (_, j) => ds.obsTime[s * O + j]!),
      obsOutputs: Array.from({ length: n }, (_, j) => ds.obsOutput[s * O + j]!),
      doses: Array.from({ length: ds.doseCount[s]! }, (_, k) => ({ time: ds.doseTime[s * D + k]!, amount: ds.doseAmount[s * D + k]!, input: ds.doseInput[s * D + k]!, rate: ds.doseRate[s * D + k]! })),
      covariates: Array.from({ length: C }, (_, c) => ds.covariateValues[s * ds.maxCovariateChanges * C + c]!),
      ...(changesOverTime(points) ? { covariatePoints: points } : {}),
    });
  }
  return errors.length > 0 ? { errors } : { subjects, errors };
}

/** The covariate track of a designed subject with occasions: its covariates, the occasion column k + 1 from the k-th start. */
function occasionPoints(starts: readonly number[], covariates: readonly number[], column: number): CovariatePoint[] {
  return starts.map((time, k) => ({ time, values: covariates.map((v, c) => (c === column ? k + 1 : v)), slopes: covariates.map(() => 0) }));
}
