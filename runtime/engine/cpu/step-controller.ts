/**
 * The PI step-size controller (compiler/solvers/step-control.ts holds its rule and constants for both back ends):
 * the new step grows with err^-(1/q − 0.75β) and is damped by the previous error^β, which avoids the oscillating
 * accept/reject pattern of a pure I controller near stability limits.
 */
import { errorNorm, PI_CONTROL, piAlpha, piFactor, type PiConstants } from '../../../compiler/solvers/step-control.js';

export interface ControllerOptions {
  readonly rtol: number;
  readonly atol: number;
  /** Order used in the exponent: min(order, embeddedOrder) + 1 for an embedded pair. */
  readonly q: number;
  readonly beta?: number;
  readonly safety?: number;
  readonly minFactor?: number;
  readonly maxFactor?: number;
}

const LOG_MIN_ERROR = Math.log(PI_CONTROL.minError);

export class PiController {
  /** log of the previous accepted step's error norm (at least 1e-4). */
  private logPreviousError = LOG_MIN_ERROR;
  private readonly alpha: number;
  private readonly beta: number;
  private readonly constants: PiConstants;

  constructor(readonly options: ControllerOptions) {
    this.beta = options.beta ?? PI_CONTROL.beta;
    this.alpha = piAlpha(options.q, this.beta);
    this.constants = { safety: options.safety ?? PI_CONTROL.safety, minFactor: options.minFactor ?? PI_CONTROL.minFactor, maxFactor: options.maxFactor ?? PI_CONTROL.maxFactor };
  }

  /** Forget the error history: a new trajectory starts. */
  reset(): void {
    this.logPreviousError = LOG_MIN_ERROR;
  }

  /**
   * The scaled RMS norm of the error estimate: √(mean((err_i / (atol + rtol·max(|y0_i|, |y1_i|)))²)).
   * A step is accepted when this is ≤ 1.
   */
  errorNorm(err: Float64Array, y0: Float64Array, y1: Float64Array): number {
    return errorNorm.apply(err, y0, y1, this.options.rtol, this.options.atol);
  }

  /** The factor to multiply h by after a step with scaled error `norm`; also records it when accepted. */
  factor(norm: number, accepted: boolean): number {
    if (!Number.isFinite(norm)) return this.constants.minFactor;
    if (norm === 0) return this.constants.maxFactor;
    const logNorm = Math.log(norm);
    const factor = piFactor.apply(logNorm, this.logPreviousError, this.alpha, this.beta, accepted, this.constants);
    if (accepted) this.logPreviousError = piFactor.rememberedLog(logNorm);
    return factor;
  }
}
