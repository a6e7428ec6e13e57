/**
 * The tests' own seeded generator: mulberry32 for uniforms and Box–Muller for standard normals. Test data made
 * with it come from outside nlmc (whose simulations use runtime/nn/random.ts), so a simulate → fit test does not
 * check nlmc against itself.
 */

/** mulberry32: uniforms in [0, 1) from a 32-bit seed, the same sequence on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal from two uniforms of `u` (Box–Muller, the cosine branch). */
export const standardNormal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
