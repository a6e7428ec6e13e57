/**
 * Loads the model module that `emitTs` writes, at run time, without touching the file system.
 *
 * Why: the TS module is the f64 CPU back end (the CPU engine integrates with it when no GPU is present, and in
 * double precision where f32 is not enough) and the test oracle for everything else: the WGSL kernels are checked
 * against it, and its derivative functions are checked against finite differences of its value functions. Both
 * uses want the module straight from the compiler's output string, so it is transpiled in memory (type-only
 * syntax removed, nothing type-checked: the emitter is trusted to write well-typed code, and `tsc` covers that
 * separately) and imported from a `data:` URL.
 */
import { createRequire } from 'node:module';
import type { ModelDimensions } from '../../compiler/emit/model-functions.js';
import { importModelModule } from './import-model.js';

/** Where a function writes its results: entry (i, j) of an r × c matrix is out[i·c + j]. */
export type Out = Float64Array | number[];
type Vec = ArrayLike<number>;

/** Names in index order, as the emitted module's `names` export spells them. */
export interface TsModelNames {
  readonly states: readonly string[];
  readonly parameters: readonly string[];
  readonly covariates: readonly string[];
  readonly randomEffects: readonly string[];
  readonly errorParameters: readonly string[];
  readonly outputs: readonly string[];
  readonly inputs: readonly string[];
  /** The parameters every ∂/∂p column refers to, in column order (a subset of `parameters`). */
  readonly sensitivityParameters: readonly string[];
}

/** A function of (phi, eta, c): the individual-parameter map and its Jacobians. */
export type IndividualFn = (phi: Vec, eta: Vec, c: Vec, out: Out) => void;
/** A function of (p, c): initial state, breakpoints. */
export type SubjectFn = (p: Vec, c: Vec, out: Out) => void;
/** An indexed function of (p, c): one case per input or per model-declared dose event. */
export type IndexedSubjectFn = (index: number, p: Vec, c: Vec, out: Out) => void;
/** A function of (t, x, p, c): the right-hand side and its Jacobians. */
export type StateFn = (t: number, x: Vec, p: Vec, c: Vec, out: Out) => void;
/** The derivative of the sensitivity system: (t, y, p, c, rate, rateDp) → dy/dt. */
export type AugmentedFn = (t: number, y: Vec, p: Vec, c: Vec, rate: Vec, rateDp: Vec, out: Out) => void;
/**
 * One explicit step fused with the model (compiler/emit-ts/emit-step.ts): (t, y, h) and what the derivative reads,
 * the stage times' left limit, whether k0 holds f(t, y) (it is written when not), the last stage out (FSAL).
 */
export type FusedStepFn = (
  t: number, y: Float64Array, h: number, p: Float64Array, c: Float64Array, rate: Float64Array, rateDp: Float64Array,
  tLeft: number, firstValid: boolean, k0: Float64Array, kLast: Float64Array, yNew: Float64Array, err: Float64Array,
) => void;
/** An indexed function of (t, x, p, c): one case per output. */
export type IndexedStateFn = (index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out) => void;
/** An indexed function of (f, e): one case per output's error model. */
export type IndexedErrorFn = (index: number, f: number, e: Vec, out: Out) => void;

/**
 * What the module emitted by `emitTs` exports: one member per entry of `modelFunctions` (compiler/emit/model-functions.ts),
 * plus `dims`, `names` and `doseTargets`. Sizes of each `out` are in the comments (ns = dims.ns sensitivity columns).
 */
export interface TsModelModule {
  readonly dims: ModelDimensions;
  readonly names: TsModelNames;
  /** Target state of each model-declared dose event. */
  readonly doseTargets: readonly number[];

  /** p = g(phi, eta, c); np. */
  readonly individual: IndividualFn;
  /** ∂p/∂phi; np × np. */
  readonly individualDphi: IndividualFn;
  /** ∂p/∂eta; np × neta. */
  readonly individualDeta: IndividualFn;
  /** x0(p, c); nx. */
  readonly initial: SubjectFn;
  /** ∂x0/∂p; nx × ns. */
  readonly initialDp: SubjectFn;
  /** f(t, x, p, c); nx. */
  readonly rhs: StateFn;
  /** ∂f/∂x; nx × nx. */
  readonly rhsDx: StateFn;
  /** ∂f/∂t; nx (for Rosenbrock methods on non-autonomous models). */
  readonly rhsDt: StateFn;
  /** ∂f/∂p; nx × ns. */
  readonly rhsDp: StateFn;
  /** dy/dt of y = [x; S] with the running input rate and its ∂/∂p added; nx + nx·ns (compiler/emit/augmented-rhs.ts). */
  readonly sensitivityRhs: AugmentedFn;
  /** A Dormand–Prince 5(4) step fused with the model, with sensitivities and for x alone; absent for large systems. */
  readonly explicitStep?: FusedStepFn;
  readonly explicitStepStates?: FusedStepFn;
  /** h_o(t, x, p, c); 1. */
  readonly predict: IndexedStateFn;
  /** ∂h_o/∂x; nx. */
  readonly predictDx: IndexedStateFn;
  /** ∂h_o/∂p; ns. */
  readonly predictDp: IndexedStateFn;
  /** sd_o(f, e); 1. */
  readonly errorSd: IndexedErrorFn;
  /** ∂sd_o/∂f; 1. */
  readonly errorSdDf: IndexedErrorFn;
  /** ∂sd_o/∂e; ne. */
  readonly errorSdDe: IndexedErrorFn;
  /** Breakpoint times; nbreakpoints. */
  readonly breakpoints: SubjectFn;
  /** ∂breakpoint/∂p; nbreakpoints × ns. */
  readonly breakpointsDp: SubjectFn;
  /** Lag of input i (0 if none); 1. */
  readonly inputLag: IndexedSubjectFn;
  /** ∂lag_i/∂p; ns. */
  readonly inputLagDp: IndexedSubjectFn;
  /** Bioavailable fraction of input i (1 if none); 1. */
  readonly inputBioavailability: IndexedSubjectFn;
  /** ∂F_i/∂p; ns. */
  readonly inputBioavailabilityDp: IndexedSubjectFn;
  /** Model-given infusion duration of input i (0 if none); 1. */
  readonly inputDuration: IndexedSubjectFn;
  /** ∂duration_i/∂p; ns. */
  readonly inputDurationDp: IndexedSubjectFn;
  /** Model-given infusion rate of input i (0 if none); 1. */
  readonly inputRate: IndexedSubjectFn;
  /** ∂rate_i/∂p; ns. */
  readonly inputRateDp: IndexedSubjectFn;
  /** Amount of dose event k; 1. */
  readonly doseAmount: IndexedSubjectFn;
  /** ∂amount_k/∂p; ns. */
  readonly doseAmountDp: IndexedSubjectFn;
  /** Time of dose event k; 1. */
  readonly doseTime: IndexedSubjectFn;
  /** ∂time_k/∂p; ns. */
  readonly doseTimeDp: IndexedSubjectFn;
  /** Infusion duration of dose event k (0: a bolus); 1. */
  readonly doseDuration: IndexedSubjectFn;
  /** ∂duration_k/∂p; ns. */
  readonly doseDurationDp: IndexedSubjectFn;
}

/** The names of the model functions `TsModelModule` declares, for callers that iterate over them. */
export type TsModelFunctionName = Exclude<keyof TsModelModule, 'dims' | 'names' | 'doseTargets' | 'sensitivityRhs' | 'explicitStep' | 'explicitStepStates'>;

/** Strips the types from an emitted module: ES2022 JavaScript with its `export`s kept (ES modules). */
export function transpileTsModel(source: string): string {
  // Loaded on first use (tools and tests): importing TypeScript costs about a second, and the runtime itself
  // imports the JavaScript emitTs prints instead (runtime/engine/prepared-model.ts).
  const { ts } = createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph');
  const result = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false, removeComments: false },
    reportDiagnostics: false,
  });
  return result.outputText;
}

/**
 * Transpiles the source `emitTs` produced and imports it as an ES module. The module imports nothing, so a
 * `data:` URL can hold it; each call yields a fresh module instance.
 */
export async function loadTsModel(source: string): Promise<TsModelModule> {
  return importModelModule(transpileTsModel(source));
}
