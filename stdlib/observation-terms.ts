/**
 * The observation terms of the likelihood: the one place that says what one observation contributes to
 * log p(Y | p), with its derivatives, in f64 (the CPU back end, the uncertainty step's marginal likelihood) and in
 * WGSL (the kernel). Each observation carries a term code (EngineData.obsCensoring) and, for an interval, the
 * other bound (EngineData.obsLimit); the value y is on the output's scale, f the prediction and sd the residual sd.
 *
 * | code | term | log-density ℓ | ∂ℓ/∂f (sd fixed) | ∂ℓ/∂sd |
 * | --- | --- | --- | --- | --- |
 * | 0 | observed | −½log 2π − log sd − ½z², z = (y − f)/sd | z/sd | (z² − 1)/sd |
 * | 1 | below y (left-censored, M3) | log Φ(b), b = (y − f)/sd | −λ(b)/sd | −b λ(b)/sd |
 * | 2 | above y (right-censored) | log Φ(−a), a = (y − f)/sd | λ(−a)/sd | a λ(−a)/sd |
 * | 3 | between y and the limit | log(Φ(b) − Φ(a)), a, b the scaled lower and upper bound | −(g_a + g_b)/sd | −(a g_a + b g_b)/sd |
 *
 * with λ(x) = φ(x)/Φ(x) and g_a = ∂ℓ/∂a = −φ(a)/(Φ(b) − Φ(a)), g_b = φ(b)/(Φ(b) − Φ(a)). Everything is computed
 * in log space: log Φ(x) for x ≪ 0 from erfc's continued fraction (f64) or the log form of its Chebyshev fit (f32),
 * λ without the e^{−x²/2} that would cancel, and an interval as log Φ(b) + log(1 − Φ(a)/Φ(b)), mirrored into the
 * lower tail when both bounds lie above the prediction. The total ∂ℓ/∂f adds ∂ℓ/∂sd · ∂sd/∂f (`observationTerm`).
 */
import { logNormcdf, normcdfRatio } from './special-functions.js';

export const HALF_LOG_2PI = 0.9189385332046727;

/** What one term gives: ℓ, ∂ℓ/∂f and ∂ℓ/∂sd. */
export interface TermValue {
  ll: number;
  dllDf: number;
  dllDsd: number;
}

export const ObservationCode = { observed: 0, below: 1, above: 2, between: 3 } as const;
export type ObservationCode = (typeof ObservationCode)[keyof typeof ObservationCode];

export interface ObservationTerm {
  readonly code: ObservationCode;
  readonly name: keyof typeof ObservationCode;
  readonly doc: string;
  /** f64: ℓ, ∂ℓ/∂f at fixed sd, ∂ℓ/∂sd into `out`. `limit` is read by the interval only. */
  readonly evaluate: (y: number, limit: number, f: number, sd: number, out: TermValue) => void;
  /** The WGSL function's name; it takes (y, lim, f, sd) and returns vec3(ℓ, ∂ℓ/∂f at fixed sd, ∂ℓ/∂sd). */
  readonly wgslName: string;
  readonly wgsl: string;
}

/** ℓ of a (possibly mirrored) interval a < b with ∂ℓ/∂a, ∂ℓ/∂b; a > 0 is mirrored to (−b, −a) first. */
function interval(a0: number, b0: number, out: TermValue): void {
  const flip = a0 > 0;
  const a = flip ? -b0 : a0;
  const b = flip ? -a0 : b0;
  const la = logNormcdf(a);
  const lb = logNormcdf(b);
  const r = Math.exp(la - lb);
  const ll = lb + Math.log1p(-r);
  const ga = (-normcdfRatio(a) * r) / (1 - r);
  const gb = normcdfRatio(b) / (1 - r);
  out.ll = ll;
  // Mirrored: ℓ(a0, b0) = g(−b0, −a0), so ∂ℓ/∂a0 = −g_b and ∂ℓ/∂b0 = −g_a.
  out.dllDf = flip ? -gb : ga;
  out.dllDsd = flip ? -ga : gb;
}

const table: readonly ObservationTerm[] = [
  {
    code: 0, name: 'observed', doc: 'An observed value: the Gaussian density of the residual.',
    evaluate: (y, _limit, f, sd, out) => {
      const z = (y - f) / sd;
      out.ll = -HALF_LOG_2PI - Math.log(sd) - 0.5 * z * z;
      out.dllDf = z / sd;
      out.dllDsd = (z * z - 1) / sd;
    },
    wgslName: 'nlm_obs_observed',
    wgsl: `fn nlm_obs_observed(y: f32, lim: f32, f: f32, sd: f32) -> vec3<f32> {
  let z = (y - f) / sd;
  return vec3<f32>(-0.91893853320467274 - log(sd) - 0.5 * z * z, z / sd, (z * z - 1.0) / sd);
}`,
  },
  {
    code: 1, name: 'below', doc: 'Left-censored (below the limit of quantification y): log Φ((y − f)/sd), Beal\'s M3.',
    evaluate: (y, _limit, f, sd, out) => {
      const b = (y - f) / sd;
      const g = normcdfRatio(b);
      out.ll = logNormcdf(b);
      out.dllDf = -g / sd;
      out.dllDsd = (-b * g) / sd;
    },
    wgslName: 'nlm_obs_below',
    wgsl: `fn nlm_obs_below(y: f32, lim: f32, f: f32, sd: f32) -> vec3<f32> {
  let b = (y - f) / sd;
  let g = nlm_normcdf_ratio(b);
  return vec3<f32>(nlm_log_normcdf(b), -g / sd, -b * g / sd);
}`,
  },
  {
    code: 2, name: 'above', doc: 'Right-censored (above y): log(1 − Φ((y − f)/sd)).',
    evaluate: (y, _limit, f, sd, out) => {
      const a = (y - f) / sd;
      const g = normcdfRatio(-a);
      out.ll = logNormcdf(-a);
      out.dllDf = g / sd;
      out.dllDsd = (a * g) / sd;
    },
    wgslName: 'nlm_obs_above',
    wgsl: `fn nlm_obs_above(y: f32, lim: f32, f: f32, sd: f32) -> vec3<f32> {
  let a = (y - f) / sd;
  let g = nlm_normcdf_ratio(-a);
  return vec3<f32>(nlm_log_normcdf(-a), g / sd, a * g / sd);
}`,
  },
  {
    code: 3, name: 'between', doc: 'Interval-censored between y and the limit: log(Φ(b) − Φ(a)).',
    evaluate: (y, limit, f, sd, out) => {
      const a = (Math.min(y, limit) - f) / sd;
      const b = (Math.max(y, limit) - f) / sd;
      interval(a, b, out);
      const ga = out.dllDf;
      const gb = out.dllDsd;
      out.dllDf = -(ga + gb) / sd;
      out.dllDsd = -(a * ga + b * gb) / sd;
    },
    wgslName: 'nlm_obs_between',
    wgsl: `fn nlm_obs_between(y: f32, lim: f32, f: f32, sd: f32) -> vec3<f32> {
  let a0 = (min(y, lim) - f) / sd;
  let b0 = (max(y, lim) - f) / sd;
  let flip = a0 > 0.0;
  let a = select(a0, -b0, flip);
  let b = select(b0, -a0, flip);
  let r = exp(nlm_log_normcdf(a) - nlm_log_normcdf(b));
  let ll = nlm_log_normcdf(b) + select(log(1.0 - r), -r - 0.5 * r * r, r < 1.0e-4);
  let ga = -nlm_normcdf_ratio(a) * r / (1.0 - r);
  let gb = nlm_normcdf_ratio(b) / (1.0 - r);
  let gA = select(ga, -gb, flip);
  let gB = select(gb, -ga, flip);
  return vec3<f32>(ll, -(gA + gB) / sd, -(a0 * gA + b0 * gB) / sd);
}`,
  },
];

export const observationTerms: readonly ObservationTerm[] = table;

/**
 * One observation's term with the total ∂ℓ/∂f = ∂ℓ/∂f + ∂ℓ/∂sd · ∂sd/∂f, into `out` (which it returns). An unknown
 * code throws: the engine data is built with the table's codes only.
 */
export function observationTerm(code: number, y: number, limit: number, f: number, sd: number, dsdDf: number, out: TermValue): TermValue {
  const term = table[code];
  if (!term) throw new RangeError(`observation term code ${code} is not one of ${table.map((t) => `${t.code} (${t.name})`).join(', ')}`);
  term.evaluate(y, limit, f, sd, out);
  out.dllDf += out.dllDsd * dsdDf;
  return out;
}

/**
 * The f32 log Φ and φ/Φ the WGSL terms call. Both come from the Numerical Recipes fit erfc(z) = t e^{−z² + P(t)},
 * t = 1/(1 + z/2) (fractional error < 1.2e-7 for all z ≥ 0), kept in log form: log Φ(x) = −log 2 − z² + log t + P(t)
 * for x < 0 (z = −x/√2), which never underflows, and φ(x)/Φ(x) = √(2/π) e^{−(log t + P(t))}, in which e^{−z²}
 * has cancelled.
 */
const wgslSpecial = `fn nlm_log_erfcx(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return log(t) - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
}
fn nlm_log_normcdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let g = nlm_log_erfcx(z);
  if (x < 0.0) { return -0.69314718055994531 - z * z + g; }
  let q = 0.5 * exp(g - z * z);
  return select(log(1.0 - q), -q - 0.5 * q * q, q < 1.0e-4);
}
fn nlm_normcdf_ratio(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let g = nlm_log_erfcx(z);
  if (x < 0.0) { return 0.79788456080286536 * exp(-g); }
  return 0.3989422804014327 * exp(-0.5 * x * x) / (1.0 - 0.5 * exp(g - z * z));
}`;

/**
 * The WGSL of every term and `nlm_obs_term(code, y, lim, f, sd, dsd_df)`: the term of the code, with the total
 * ∂ℓ/∂f = ∂ℓ/∂f + ∂ℓ/∂sd · ∂sd/∂f as `observationTerm` forms it.
 */
export function observationTermsWgsl(): string {
  const cases = table.map((t) => `  if (code == ${t.code}u) { return ${t.wgslName}(y, lim, f, sd); }`).join('\n');
  return `${wgslSpecial}
${table.map((t) => t.wgsl).join('\n')}
// One observation's (ℓ, ∂ℓ/∂f at fixed sd, ∂ℓ/∂sd) by its term code (stdlib/observation-terms.ts).
fn nlm_obs_term_at(code: u32, y: f32, lim: f32, f: f32, sd: f32) -> vec3<f32> {
${cases}
  // Not a code of the table (the host writes only those): NaN, so the row fails.
  return vec3<f32>(log(-1.0 - abs(sd)), 0.0, 0.0);
}
// (ℓ, total ∂ℓ/∂f, ∂ℓ/∂sd): the sd's dependence on f chained in, as observationTerm does on the CPU.
fn nlm_obs_term(code: u32, y: f32, lim: f32, f: f32, sd: f32, dsd_df: f32) -> vec3<f32> {
  let t = nlm_obs_term_at(code, y, lim, f, sd);
  return vec3<f32>(t.x, t.y + t.z * dsd_df, t.z);
}`;
}
