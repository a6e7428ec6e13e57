/**
 * A simulation design, read from JSON: how many subjects, when they are observed (a list or an evenly spaced
 * grid, optionally jittered per subject as in the seed paper's scripts), their doses and covariates.
 *
 * {
 *   "subjects": 100,
 *   "times": [0, 0.2, 0.7, 2.5, 5, 10]            or  { "linspace": [0, 400, 15] },
 *   "jitter": { "sd": 0.02 },                      optional: Gaussian jitter, clipped to the grid's range,
 *                                                  first and last times kept, then sorted
 *   "doses": [{ "time": 0, "amount": 320, "cmt": 1, "rate": 0 }],      optional
 *   "covariates": { "WT": { "value": 70 } | { "normal": [70, 10] } | { "uniform": [50, 90] } | { "choice": [0, 1] } },
 *   "occasions": [0, 24, 48]                       optional: the start time of each occasion (the first 0), for
 *                                                  a model with an occasion column (`OCC occasions(K)`)
 * }
 */
import type { Random } from '../nn/random.js';

export type CovariateSpec = { value: number } | { normal: [number, number] } | { uniform: [number, number] } | { choice: number[] };

export interface Design {
  readonly subjects: number;
  readonly times: readonly number[];
  readonly jitterSd: number;
  readonly doses: readonly { readonly time: number; readonly amount: number; readonly cmt: number; readonly rate: number }[];
  readonly covariates: Readonly<Record<string, CovariateSpec>>;
  /** Start times of the occasions, ascending from 0; absent: no occasion structure. */
  readonly occasions?: readonly number[];
}

/** Reads and checks a design; errors name the offending field. */
export function parseDesign(text: string, file: string): { design?: Design; errors: string[] } {
  const errors: string[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { errors: [`${file}: not valid JSON (${(e as Error).message})`] };
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  const subjects = o['subjects'];
  if (typeof subjects !== 'number' || !Number.isInteger(subjects) || subjects < 1) errors.push(`${file}: "subjects" must be a whole number ≥ 1`);
  let times: number[] = [];
  const t = o['times'];
  if (Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
    times = [...(t as number[])].sort((a, b) => a - b);
  } else if (t && typeof t === 'object' && Array.isArray((t as { linspace?: unknown }).linspace)) {
    const [from, to, n] = (t as { linspace: unknown[] }).linspace;
    if (typeof from !== 'number' || typeof to !== 'number' || typeof n !== 'number' || !Number.isInteger(n) || n < 1 || from < 0 || to < from) {
      errors.push(`${file}: "times": { "linspace": [from, to, n] } needs 0 ≤ from ≤ to and a whole n ≥ 1`);
    } else {
      times = Array.from({ length: n }, (_, i) => (n === 1 ? from : from + ((to - from) * i) / (n - 1)));
    }
  } else {
    errors.push(`${file}: "times" must be a list of times ≥ 0 or { "linspace": [from, to, n] }`);
  }
  const jitter = o['jitter'] as { sd?: unknown } | undefined;
  const jitterSd = jitter === undefined ? 0 : typeof jitter.sd === 'number' && jitter.sd >= 0 ? jitter.sd : (errors.push(`${file}: "jitter": { "sd": value ≥ 0 }`), 0);
  const doses: Design['doses'][number][] = [];
  const d = o['doses'] ?? [];
  if (!Array.isArray(d)) errors.push(`${file}: "doses" must be a list`);
  else {
    d.forEach((x: Record<string, unknown>, i: number) => {
      const time = x['time'];
      const amount = x['amount'];
      const cmt = x['cmt'] ?? 1;
      const rate = x['rate'] ?? 0;
      if (typeof time !== 'number' || time < 0 || typeof amount !== 'number' || amount < 0 || typeof cmt !== 'number' || !Number.isInteger(cmt) || typeof rate !== 'number') {
        errors.push(`${file}: doses[${i}] needs "time" ≥ 0, "amount" ≥ 0, and optionally a whole "cmt" and a "rate"`);
      } else doses.push({ time, amount, cmt, rate });
    });
  }
  const covariates: Record<string, CovariateSpec> = {};
  const c = (o['covariates'] ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, spec] of Object.entries(c)) {
    const ok =
      (typeof spec['value'] === 'number') ||
      (Array.isArray(spec['normal']) && spec['normal'].length === 2 && spec['normal'].every((v) => typeof v === 'number') && (spec['normal'][1] as number) >= 0) ||
      (Array.isArray(spec['uniform']) && spec['uniform'].length === 2 && spec['uniform'].every((v) => typeof v === 'number')) ||
      (Array.isArray(spec['choice']) && spec['choice'].length > 0 && spec['choice'].every((v) => typeof v === 'number'));
    if (!ok) errors.push(`${file}: covariates.${name} must be { "value": v }, { "normal": [mean, sd] }, { "uniform": [lo, hi] } or { "choice": [v1, v2, ...] }`);
    else covariates[name] = spec as CovariateSpec;
  }
  const occasions = o['occasions'];
  const occasionsOk = occasions === undefined || (Array.isArray(occasions) && occasions.length > 0 && occasions[0] === 0 && occasions.every((v, i) => typeof v === 'number' && Number.isFinite(v) && (i === 0 || v > (occasions[i - 1] as number))));
  if (!occasionsOk) errors.push(`${file}: "occasions" must be the start time of each occasion, ascending from 0, e.g. [0, 24, 48]`);
  if (errors.length > 0) return { errors };
  return { design: { subjects: subjects as number, times, jitterSd, doses, covariates, ...(occasions !== undefined ? { occasions: occasions as number[] } : {}) }, errors };
}

/** One subject's observation times: the design's, jittered, clipped to its range, first and last kept, sorted. */
export function subjectTimes(design: Design, random: Random): number[] {
  const base = design.times;
  if (design.jitterSd === 0 || base.length < 2) return [...base];
  const lo = base[0]!;
  const hi = base[base.length - 1]!;
  const jittered = base.map((t, i) => (i === 0 || i === base.length - 1 ? t : Math.min(hi, Math.max(lo, t + design.jitterSd * random.normal()))));
  return jittered.sort((a, b) => a - b);
}

export function drawCovariate(spec: CovariateSpec, random: Random): number {
  if ('value' in spec) return spec.value;
  if ('normal' in spec) return spec.normal[0] + spec.normal[1] * random.normal();
  if ('uniform' in spec) return spec.uniform[0] + (spec.uniform[1] - spec.uniform[0]) * random.uniform();
  return spec.choice[Math.min(spec.choice.length - 1, Math.floor(random.uniform() * spec.choice.length))]!;
}
