/**
 * What the report reads from a run folder beside fit.json: estimates.json (the parameter table with SE/RSE/CI and
 * the likelihood block), individual.csv (the EBEs the fit reported) and starts.csv (the refits of `--starts`). Each is checked on reading: a missing or
 * malformed file is an error that names it, never a silently empty section.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { EstimateRow } from '../estimates.js';

/** estimates.json's likelihood block (written by the uncertainty step; null without it). */
export interface LikelihoodBlock {
  readonly minus2LL: number;
  readonly aic: number;
  readonly bic: number;
  readonly estimator: string;
  /** The importance estimator's proposal: 'flow' (a flow fit's own flow) or 'student-t'. */
  readonly proposal?: string;
  readonly mcError: number;
  readonly samples: number;
  readonly parameters: number;
  readonly subjects: number;
  readonly observations: number;
}

export interface EstimatesFile {
  readonly model: string;
  readonly complete: boolean;
  readonly stop: string;
  readonly message: string;
  readonly epochs: number;
  readonly estimate: string;
  readonly estimates: readonly EstimateRow[];
  readonly likelihood: LikelihoodBlock | null;
  /** The maximum-likelihood finish's block (its −2LL when no uncertainty step ran). */
  readonly maximumLikelihood?: { readonly minus2LL: number; readonly method: string; readonly size: number; readonly converged: boolean } | null;
}

/** The run folder of `path` (a run folder, or its fit.json). */
export function runFolderOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
}

export function readEstimates(folder: string): EstimatesFile {
  const file = join(folder, 'estimates.json');
  if (!existsSync(file)) throw new Error(`${file}: no such file (the run folder of a finished \`nlmc fit\` has one)`);
  let raw: Partial<EstimatesFile>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<EstimatesFile>;
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(raw.estimates) || raw.estimates.some((r) => typeof r?.name !== 'string' || typeof r.estimate !== 'number')) {
    throw new Error(`${file}: not an estimates file (no "estimates" table of named rows)`);
  }
  return raw as EstimatesFile;
}

/** The −2LL an estimates file reports, and its Monte-Carlo error (0 for quadrature), or undefined. */
export function reportedMinus2LL(e: EstimatesFile): { value: number; mcError: number; how: string } | undefined {
  if (e.likelihood) return { value: e.likelihood.minus2LL, mcError: e.likelihood.mcError ?? 0, how: e.likelihood.estimator };
  if (e.maximumLikelihood) return { value: e.maximumLikelihood.minus2LL, mcError: 0, how: e.maximumLikelihood.method };
  return undefined;
}

export { readEbes } from '../../evaluate/stored.js';

/** One run of `nlmc fit --starts` (starts.csv): its final ELBO and its estimates on the natural scale. */
export interface StartRow {
  readonly start: number;
  readonly elbo: number;
  readonly initial: Readonly<Record<string, number>>;
  readonly estimates: Readonly<Record<string, number>>;
}

/** starts.csv's runs (start 0 is the main fit), or undefined when the fit ran no `--starts`. */
export function readStarts(folder: string, names: readonly string[]): StartRow[] | undefined {
  const file = join(folder, 'starts.csv');
  if (!existsSync(file)) return undefined;
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const number = (r: Record<string, string>, column: string, row: number): number => {
    const cell = r[column];
    if (cell === undefined) throw new Error(`${file}: no column ${column}`);
    const v = cell === '' ? NaN : Number(cell);
    if (Number.isNaN(v) && cell !== '') throw new Error(`${file}:${row}: ${column} is not a number (${JSON.stringify(cell)})`);
    return v;
  };
  return records.map((r, k) => ({
    start: number(r, 'start', k + 2), elbo: number(r, 'elbo', k + 2),
    initial: Object.fromEntries(names.map((n) => [n, number(r, `init_${n}`, k + 2)])),
    estimates: Object.fromEntries(names.map((n) => [n, number(r, n, k + 2)])),
  }));
}
