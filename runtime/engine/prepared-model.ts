/**
 * A compiled model ready for the engines: the f64 TS module (loaded), the full shader (model functions plus the
 * generated integrator kernel for one integration method), and the static facts both back ends need.
 *
 * The kernel is generated for one method (`PrepareOptions.method`, explicit by default): the GPU engine refuses
 * solver settings that ask for another, so `SolverSettings.method` means the same method on both back ends.
 */
import { kernelLayout, type KernelLayout } from '../../compiler/emit-wgsl/kernel.js';
import { emitRunnableShader } from '../../compiler/emit-wgsl/runnable-shader.js';
import { dimensions, doseEvents, type ModelDimensions } from '../../compiler/emit/model-functions.js';
import type { CompileResult } from '../../compiler/pipeline.js';
import { importModelModule } from '../model/import-model.js';
import type { TsModelModule } from '../model/load-ts-module.js';
import { emitTs } from '../../compiler/emit-ts/emit-ts.js';
import type { SolverMethod } from './engine.js';

export interface PreparedModel {
  readonly name: string;
  readonly dims: ModelDimensions;
  readonly ts: TsModelModule;
  /** The JavaScript `ts` was imported from: a worker thread of the CPU engine imports the same text. */
  readonly moduleJs: string;
  readonly shader: string;
  /** The method the shader's kernel integrates with (Dormand–Prince 5(4) or ROS34PW2). */
  readonly method: SolverMethod;
  readonly layout: KernelLayout;
  readonly inputTargets: readonly number[];
  readonly doseTargets: readonly number[];
  /** Natural-scale initial value of every parameter, in index order. */
  readonly initialParameters: Float64Array;
  readonly initialErrorParameters: Float64Array;
  /** Indices (into p) of the estimated parameters: the columns of every gradient. */
  readonly sensitivityParameters: readonly number[];
}

export interface PrepareOptions {
  /** The method of the GPU kernel: 'explicit' (Dormand–Prince 5(4), default) or 'rosenbrock' (ROS34PW2, stiff models). */
  readonly method?: SolverMethod;
}

/** Needs a compile result with IR, derivatives and both artifacts (compile with the default emit targets). */
export async function prepareModel(result: CompileResult, options: PrepareOptions = {}): Promise<PreparedModel> {
  const { ir, derivatives } = result;
  if (!ir || !derivatives || result.artifacts.wgsl === undefined) {
    throw new Error('prepareModel needs a model that compiled without errors, with its WGSL emitted (compile(source, { emit: RUNTIME_EMIT }))');
  }
  const events = doseEvents(ir, derivatives);
  const dims = dimensions(ir, events);
  const inputTargets = ir.inputs.map((i) => i.target);
  const doseTargets = events.map((e) => e.target);
  const method = options.method ?? 'explicit';
  // The same module as the ts artifact, printed without types: nothing at run time loads a TypeScript compiler.
  const moduleJs = emitTs(ir, derivatives, { typed: false });
  return {
    name: ir.name, dims, ts: await importModelModule(moduleJs), moduleJs, shader: emitRunnableShader(ir, derivatives, result.artifacts.wgsl, method), method, layout: kernelLayout(dims),
    inputTargets, doseTargets, initialParameters: Float64Array.from(ir.parameters.map((p) => p.initial)),
    initialErrorParameters: Float64Array.from(ir.errorParameters.map((e) => e.initial)),
    sensitivityParameters: ir.sensitivityParameters,
  };
}
