/**
 * Special functions JavaScript lacks, in f64, with their emitted helper sources for both back ends.
 * The WGSL versions are f32 approximations good to a few ulp of f32; the TS versions to about 1e-15.
 */

/**
 * erf(x): Maclaurin series for |x| < 2 (at most ~40 terms, cancellation costs < 2 digits), continued fraction
 * for erfc beyond (Lentz's method), which converges there in under 60 terms. (Handing over at 3 instead lost
 * ~2e-14 to cancellation in the series just below 3.)
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax === Infinity) return Math.sign(x); // the continued fraction would compute ∞ · 0
  if (ax < 2) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(ax));
}

/** erfc(x) for x ≥ 2: e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))). */
function erfcLarge(x: number): number {
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / erfcFraction(x);
}

/** The continued fraction F(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + …))) of erfc(x) = e^{-x²}/(√π F(x)), x ≥ 2 (Lentz). */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

const LOG_SQRT_PI = 0.5723649429247001;
const INV_SQRT_2PI = 0.3989422804014327;

/** The upper tail Q(x) = 1 − Φ(x) = Φ(−x) for x ≥ 0 (no cancellation: erfc directly). */
function upperTail(x: number): number {
  const w = x / Math.SQRT2;
  return w >= 2 ? 0.5 * erfcLarge(w) : 0.5 * (1 - erf(w));
}

/**
 * log Φ(x), stable for x ≪ 0 where Φ itself underflows (x < −38): for x < −2√2 from the continued fraction,
 * log Φ(x) = −log 2 − x²/2 − log √π − log F(−x/√2); for −2√2 ≤ x < 0 from 1 − erf (erfc ≥ 0.0047 there, so at most
 * ~2 digits go to cancellation); for x ≥ 0 as log1p(−Q(x)).
 */
export function logNormcdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return -Infinity;
  if (x >= 0) return Math.log1p(-upperTail(x));
  const z = -x / Math.SQRT2;
  if (z >= 2) return -Math.LN2 - z * z - LOG_SQRT_PI - Math.log(erfcFraction(z));
  return Math.log(0.5 * (1 - erf(z)));
}

/**
 * φ(x)/Φ(x), the derivative of log Φ (the inverse Mills ratio of −x): for x < −2√2 it is √2 F(−x/√2) (the
 * exponentials cancel exactly), → −x as x → −∞; elsewhere φ(x)/Φ(x) directly.
 */
export function normcdfRatio(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return Infinity;
  const z = -x / Math.SQRT2;
  if (z >= 2) return Math.SQRT2 * erfcFraction(z);
  const phi = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
  return phi / (x >= 0 ? 1 - upperTail(x) : 0.5 * (1 - erf(z)));
}

/**
 * Helper sources for the emitted f64 module, by name: typed for the TypeScript artifact, bare for the JavaScript
 * the runtime imports (the signature is the only difference).
 */
function helperSources(typed: boolean): Readonly<Record<string, string>> {
  const sig = typed ? '(x: number): number' : '(x)';
  return {
    nlm_softplus: `function nlm_softplus${sig} { return x > 30 ? x : Math.log1p(Math.exp(x)); }`,
    nlm_normcdf: `function nlm_erf${sig} {
  const ax = Math.abs(x);
  if (ax === Infinity) return Math.sign(x);
  if (ax < 2) {
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) { term *= -x2 / n; const add = term / (2 * n + 1); sum += add; if (Math.abs(add) < 1e-17 * Math.abs(sum)) break; }
    return Math.sign(x) * 1.1283791670955126 * sum;
  }
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = ax + an * d; if (d === 0) d = 1e-300;
    c = ax + an / c; if (c === 0) c = 1e-300;
    d = 1 / d; const delta = c * d; f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
}
function nlm_normcdf${sig} { return 0.5 * (1 + nlm_erf(x / Math.SQRT2)); }`,
  };
}
export const tsHelperSources = helperSources(true);
export const jsHelperSources = helperSources(false);

/** Helper sources for emitted WGSL, by name (f32). */
export const wgslHelperSources: Readonly<Record<string, string>> = {
  nlm_softplus: 'fn nlm_softplus(x: f32) -> f32 { if (x > 20.0) { return x; } return log(1.0 + exp(x)); }',
  // Φ(x) via erfc with the Numerical Recipes Chebyshev fit (fractional error < 1.2e-7), enough for f32.
  nlm_normcdf: `fn nlm_normcdf(x: f32) -> f32 {
  let z = abs(x) * 0.7071067811865476;
  let s = 1.0 / (1.0 + 0.5 * z);
  let r = s * exp(-z * z - 1.26551223 + s * (1.00002368 + s * (0.37409196 + s * (0.09678418 + s * (-0.18628806 + s * (0.27886807 + s * (-1.13520398 + s * (1.48851587 + s * (-0.82215223 + s * 0.17087277)))))))));
  return select(0.5 * r, 1.0 - 0.5 * r, x >= 0.0);
}`,
};
