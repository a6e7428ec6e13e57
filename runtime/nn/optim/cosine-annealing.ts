/**
 * Cosine annealing of the learning rate (Loshchilov & Hutter 2017, without restarts; Optax's
 * `cosine_decay_schedule` with alpha = minLr/lr):
 *
 *   lr(s) = minLr + ½(lr − minLr)(1 + cos(π · min(s, steps) / steps)),
 *
 * so lr(0) = lr, lr(steps/2) is the midpoint, and lr(s) = minLr from `steps` on.
 */
export interface CosineAnnealingOptions {
  /** The starting (largest) learning rate. */
  readonly lr: number;
  /** Number of steps over which it decays. */
  readonly steps: number;
  /** Default 0. */
  readonly minLr?: number;
}

/** The schedule as a function of the step index (0-based). */
export function cosineAnnealing(options: CosineAnnealingOptions): (step: number) => number {
  const { lr, steps } = options;
  const minLr = options.minLr ?? 0;
  if (!(steps > 0)) throw new Error(`cosineAnnealing: steps must be positive, got ${steps}`);
  return (step) => {
    const s = Math.min(Math.max(step, 0), steps);
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * s) / steps));
  };
}
