/**
 * The Engine: given the dataset (kept by the engine) and a batch of rows — each a subject and a vector of
 * individual parameters p — it returns predictions at the observation times with ∂/∂p, or, in the fused mode used
 * for training, each row's log-likelihood log p(Y_i | p) (Gaussian, or censored: stdlib/observation-terms.ts) with
 * its gradient in p and in the residual-error parameters e. Two back ends implement it: WebGPU (f32, one GPU thread
 * per row) and CPU (f64).
 */
import type { TrajectoryStatus } from './trajectory-status.js';

export interface Rows {
  /** Subject index of each row. */
  readonly subject: Int32Array;
  /** nrows × np individual parameters, natural scale. */
  readonly p: Float64Array;
}

export interface SimulateResult {
  readonly status: Int32Array;
  /** nrows × maxObs; NaN for padding and for failed rows. */
  readonly predictions: Float64Array;
  /** nrows × maxObs × ns. */
  readonly gradients: Float64Array;
}

export interface LikelihoodResult {
  readonly status: Int32Array;
  /** log p(Y_i | p) per row; NaN for failed rows. */
  readonly logLik: Float64Array;
  /** nrows × ns: ∂ log p / ∂p over the sensitivity parameters. */
  readonly dLogLikDp: Float64Array;
  /** nrows × ne: ∂ log p / ∂e. */
  readonly dLogLikDe: Float64Array;
}

/** 'explicit': Dormand–Prince 5(4). 'rosenbrock': the Rosenbrock-W method ROS34PW2, for stiff models. */
export type SolverMethod = 'explicit' | 'rosenbrock';

export interface SolverSettings {
  readonly rtol: number;
  readonly atol: number;
  readonly maxSteps: number;
  /**
   * The integration method, the same on both back ends; 'explicit' when absent. The WebGPU back end runs the kernel
   * the model was prepared with (`prepareModel(result, { method })`) and refuses settings that ask for another.
   */
  readonly method?: SolverMethod;
}

export interface Engine {
  readonly backend: 'cpu' | 'webgpu';
  /** What runs it, e.g. the adapter's name. */
  readonly description: string;
  simulate(rows: Rows): Promise<SimulateResult>;
  logLikelihood(rows: Rows, errorParameters: Float64Array): Promise<LikelihoodResult>;
  dispose(): void;
}

export type { TrajectoryStatus };
