/**
 * The posterior families q(η | Y) a fit can use, by name: the one list the command line, the fit file's reader and
 * the encoder's head read, so a new family is added here once.
 */
export const POSTERIOR_FAMILIES = ['diagonal', 'fullrank', 'flow', 'autoencoder'] as const;

/**
 * q's covariance: diagonal (mean field), a full Cholesky factor, or planar flow layers on the full-rank Gaussian;
 * or no q at all: `autoencoder`, the deterministic baseline whose encoder mean is the random effect
 * (autoencoder-loss.ts; ω is not estimated).
 */
export type PosteriorFamily = (typeof POSTERIOR_FAMILIES)[number];

/** How each family is named in the fit's progress lines. */
export const POSTERIOR_FAMILY_TITLES: Readonly<Record<PosteriorFamily, string>> = {
  diagonal: 'diagonal Gaussian',
  fullrank: 'full-rank Gaussian',
  flow: 'planar flow on a full-rank Gaussian',
  autoencoder: 'none (deterministic autoencoder: η = the encoder’s mean, ω not estimated)',
};

export const isPosteriorFamily = (name: unknown): name is PosteriorFamily => (POSTERIOR_FAMILIES as readonly unknown[]).includes(name);

/** The training objective in words: the autoencoder's reconstruction, else the ELBO or its importance-weighted bound. */
export function objectiveTitle(family: PosteriorFamily, iwSamples: number): string {
  if (family === 'autoencoder') return 'Σ log p(Y | η = μ), the reconstruction log-likelihood';
  return iwSamples > 1 ? `importance-weighted bound, K = ${iwSamples}` : 'ELBO';
}
