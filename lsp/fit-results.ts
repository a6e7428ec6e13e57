/**
 * The results of `nlmc fit` for an open model, when its run folder exists: `model.nlm` → `model.fit/` beside it, with
 * estimates.json (rows `{ name, kind, estimate, se, rse, ciLower, ciUpper }`, the uncertainty columns null or absent
 * without the uncertainty step; the ELBO; and the `likelihood` block `{ minus2LL, aic, bic, mcError }` when that step
 * ran) and fit.json (the model source it was fitted from, and when). Read lazily, cached until either file changes.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FitEstimate {
  readonly name: string;
  readonly kind: string;
  readonly estimate: number;
  readonly fixed?: boolean;
  readonly se?: number;
  readonly rse?: number;
  readonly ciLower?: number;
  readonly ciUpper?: number;
}

export interface FitSummary {
  readonly folder: string;
  readonly estimates: ReadonlyMap<string, FitEstimate>;
  readonly minus2LL?: number;
  /** Monte-Carlo standard error of −2LL (and so of AIC and BIC). */
  readonly mcError?: number;
  readonly aic?: number;
  readonly bic?: number;
  readonly elbo?: number;
  readonly epochs?: number;
  readonly complete?: boolean;
  readonly stop?: string;
  readonly createdAt?: string;
  /** The model source the fit was made from (fit.json), to tell whether the results are stale. */
  readonly source?: string;
}

/** The run folder of a model file: `dir/model.nlm` → `dir/model.fit`. */
export function runFolderFor(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  let path: string;
  try {
    path = fileURLToPath(uri);
  } catch {
    return undefined;
  }
  return join(dirname(path), `${basename(path).replace(/\.nlm$/, '')}.fit`);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The first finite number among the fields `names` of `o`. */
function field(o: Record<string, unknown>, names: readonly string[]): number | undefined {
  for (const n of names) {
    const v = num(o[n]);
    if (v !== undefined) return v;
  }
  return undefined;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
}

export function readRunFolder(folder: string): FitSummary | undefined {
  const est = readJson(join(folder, 'estimates.json'));
  if (!est) return undefined;
  const fit = readJson(join(folder, 'fit.json'));
  const estimates = new Map<string, FitEstimate>();
  for (const row of Array.isArray(est['estimates']) ? (est['estimates'] as unknown[]) : []) {
    if (!row || typeof row !== 'object') continue;
    const r = row as Record<string, unknown>;
    const estimate = num(r['estimate']);
    if (typeof r['name'] !== 'string' || estimate === undefined) continue;
    const optional = (k: keyof FitEstimate, names: readonly string[]): Partial<FitEstimate> => {
      const v = field(r, names);
      return v === undefined ? {} : { [k]: v };
    };
    estimates.set(r['name'], {
      name: r['name'], kind: typeof r['kind'] === 'string' ? r['kind'] : 'parameter', estimate,
      ...(typeof r['fixed'] === 'boolean' ? { fixed: r['fixed'] } : {}),
      ...optional('se', ['se']), ...optional('rse', ['rse']), ...optional('ciLower', ['ciLower']), ...optional('ciUpper', ['ciUpper']),
    });
  }
  const model = fit?.['model'] as Record<string, unknown> | undefined;
  const lastTrace = Array.isArray(fit?.['trace']) ? ((fit['trace'] as unknown[]).at(-1) as Record<string, unknown> | undefined) : undefined;
  const pick = <K extends keyof FitSummary>(k: K, v: FitSummary[K] | undefined): Partial<FitSummary> => (v === undefined ? {} : { [k]: v });
  const likelihood = est['likelihood'] && typeof est['likelihood'] === 'object' ? (est['likelihood'] as Record<string, unknown>) : {};
  return {
    folder, estimates,
    ...pick('minus2LL', field(likelihood, ['minus2LL'])),
    ...pick('mcError', field(likelihood, ['mcError'])),
    ...pick('aic', field(likelihood, ['aic'])),
    ...pick('bic', field(likelihood, ['bic'])),
    ...pick('elbo', field(est, ['elbo']) ?? (lastTrace ? num(lastTrace['elbo']) : undefined)),
    ...pick('epochs', field(est, ['epochs'])),
    ...pick('complete', typeof est['complete'] === 'boolean' ? est['complete'] : typeof fit?.['complete'] === 'boolean' ? (fit['complete'] as boolean) : undefined),
    ...pick('stop', typeof est['stop'] === 'string' ? est['stop'] : undefined),
    ...pick('createdAt', typeof fit?.['createdAt'] === 'string' ? fit['createdAt'] : undefined),
    ...pick('source', typeof model?.['source'] === 'string' ? model['source'] : undefined),
  };
}

/** Whether the results were fitted from another text than `text` (unknown without fit.json: not stale). */
export function isStale(fit: FitSummary, text: string): boolean {
  if (fit.source === undefined) return false;
  const norm = (s: string): string => s.replace(/\r\n/g, '\n').replace(/^\uFEFF/, '');
  return norm(fit.source) !== norm(text);
}

/** Run folders read once and kept until estimates.json or fit.json changes. */
export class FitResults {
  private readonly cache = new Map<string, { stamp: string; summary: FitSummary | undefined }>();

  get(uri: string): FitSummary | undefined {
    const folder = runFolderFor(uri);
    if (!folder) return undefined;
    const key = `${stamp(join(folder, 'estimates.json'))}|${stamp(join(folder, 'fit.json'))}`;
    const hit = this.cache.get(folder);
    if (hit && hit.stamp === key) return hit.summary;
    const summary = key.startsWith('missing') ? undefined : readRunFolder(folder);
    this.cache.set(folder, { stamp: key, summary });
    return summary;
  }
}

/** A number for people: four significant digits, no exponent for ordinary sizes. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e6) return String(Number(v.toPrecision(4)));
  return v.toExponential(3).replace(/\.?0+e/, 'e');
}

/** `2024-05-01 14:03 UTC` from an ISO time. */
export function formatDate(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
