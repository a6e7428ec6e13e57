/**
 * ½ log 2π, for the Gaussian densities of the random effects. The observation terms of the likelihood (observed
 * and censored, with their derivatives and WGSL spellings) are described once, in stdlib/observation-terms.ts.
 */
export { HALF_LOG_2PI } from '../../stdlib/observation-terms.js';
