/**
 * The seeded generator simulations use: the same one as the neural-network code (xoshiro128** seeded through
 * splitmix32, runtime/nn/random.ts), so the same seed gives the same numbers on every machine and Node version
 * and `nlmc simulate --seed` writes the same file byte for byte.
 */
export { Rng as Random } from '../nn/random.js';
