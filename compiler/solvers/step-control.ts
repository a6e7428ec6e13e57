/**
 * The adaptive step's rules, one description for both back ends (runtime/engine/cpu/step-controller.ts and
 * solve-trajectory.ts; the WGSL kernel's `advance`): the PI controller of Hairer & Wanner (DOPRI5's constants;
 * Gustafsson's PI idea) and what happens after a step whose error is not a number.
 *
 *   accepted: h ← h · clamp(safety · err^−α · errPrev^β, minFactor, maxFactor),  α = 1/q − 0.75 β
 *   rejected: h ← h · clamp(safety · err^−α, minFactor, 1)
 *   error not finite: h ← h · nonFiniteFactor
 * errPrev, the previous accepted step's error, is held at least `minError`.
 */
export const PI_CONTROL = {
  safety: 0.9,
  beta: 0.04,
  minFactor: 0.2,
  maxFactor: 10,
  minError: 1e-4,
  nonFiniteFactor: 0.2,
} as const;

/** The error exponent α of the controller for a method whose error estimate is of order q − 1. */
export function piAlpha(q: number, beta: number = PI_CONTROL.beta): number {
  return 1 / q - 0.75 * beta;
}
