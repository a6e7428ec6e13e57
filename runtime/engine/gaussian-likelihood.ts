/**
 * The Gaussian log-density of one residual and its derivatives, shared by the CPU back end (the WGSL kernel
 * spells the same formulas):
 *   ℓ = −½ log 2π − log sd − ½ z²,  z = (y − f)/sd,
 *   ∂ℓ/∂sd = (z² − 1)/sd,  ∂ℓ/∂f = z/sd + ∂ℓ/∂sd · ∂sd/∂f.
 */
export const HALF_LOG_2PI = 0.9189385332046727;

export function gaussianTerm(y: number, f: number, sd: number, dsdDf: number): { ll: number; dllDf: number; dllDsd: number } {
  const z = (y - f) / sd;
  const dllDsd = (z * z - 1) / sd;
  return { ll: -HALF_LOG_2PI - Math.log(sd) - 0.5 * z * z, dllDf: z / sd + dllDsd * dsdDf, dllDsd };
}
