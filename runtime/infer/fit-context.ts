/**
 * Everything a fit works on, built once from a compiled model and a dataset: the prepared model, the engine's
 * data, the encoder's inputs and scaling, the subjects' covariates, and the population layout.
 */
import type { CompileResult } from '../../compiler/pipeline.js';
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
import { subjectCovariates, type EngineData } from '../engine/engine-data.js';
import { engineDataFromDataset } from '../engine/from-dataset.js';
import { chooseMethod, type MethodChoice, type MethodDecision } from '../engine/choose-method.js';
import type { SolverMethod } from '../engine/engine.js';
import { prepareModel, type PreparedModel } from '../engine/prepared-model.js';
import { encoderInputs, fitScaling, occasionColumn, type EncoderInputs, type EncoderScaling } from './encoder-inputs.js';
import { populationLayout, type PopulationLayout } from './population.js';

export interface FitContext {
  /** The model's text: the maximum-likelihood finish compiles it again with the network weights held. */
  readonly source: string;
  readonly ir: ModelIR;
  readonly model: PreparedModel;
  readonly dataset: Dataset;
  readonly data: EngineData;
  readonly scaling: EncoderScaling;
  readonly inputs: EncoderInputs;
  readonly covariates: readonly Float64Array[];
  readonly layout: PopulationLayout;
}

/**
 * Throws an Error with a user-facing message when the data cannot be used with the model. `method` is the
 * integration method of the prepared model (both back ends; runtime/engine/choose-method.ts decides 'auto').
 */
export async function fitContext(compiled: CompileResult, dataset: Dataset, scaling?: EncoderScaling, method: SolverMethod = 'explicit'): Promise<FitContext> {
  const ir = compiled.ir!;
  if (ir.randomEffects.length === 0) throw new Error(`the model '${ir.name}' has no random effects: give at least one parameter an omega, e.g. lognormal(omega = 0.3)`);
  const converted = engineDataFromDataset(dataset, ir);
  if (!converted.data) throw new Error(converted.problems.map((p) => p.message).join('\n'));
  const data = converted.data;
  const model = await prepareModel(compiled, { method });
  const s = scaling ?? fitScaling(data, ir.outputs.length);
  const covariates = Array.from({ length: data.nSubjects }, (_, i) => subjectCovariates(data, i).slice());
  return { source: compiled.source, ir, model, dataset, data, scaling: s, inputs: encoderInputs(data, ir.outputs.length, s, occasionColumn(ir)), covariates, layout: populationLayout(ir) };
}

/** The subjects at the population's initial values (η = 0): the rows the stiffness test integrates. */
export function initialRows(ctx: FitContext, subjects = Math.min(ctx.data.nSubjects, 20)): { subject: Int32Array; p: Float64Array } {
  const { np, neta } = ctx.model.dims;
  const rows = { subject: new Int32Array(subjects), p: new Float64Array(subjects * np) };
  const p = new Float64Array(np);
  for (let i = 0; i < subjects; i++) {
    ctx.model.ts.individual(ctx.layout.phi0, new Float64Array(neta), ctx.covariates[i]!, p);
    rows.subject[i] = i;
    rows.p.set(p, i * np);
  }
  return rows;
}

/** The fit context prepared for the method `choice` names, or — for 'auto' — the one the stiffness test picks. */
export async function fitContextFor(compiled: CompileResult, dataset: Dataset, scaling: EncoderScaling | undefined, choice: MethodChoice): Promise<{ ctx: FitContext; decision: MethodDecision }> {
  const first = await fitContext(compiled, dataset, scaling, choice === 'rosenbrock' ? 'rosenbrock' : 'explicit');
  const decision = await chooseMethod(first.model, first.data, initialRows(first), choice);
  const ctx = decision.method === first.model.method ? first : await fitContext(compiled, dataset, scaling, decision.method);
  return { ctx, decision };
}
