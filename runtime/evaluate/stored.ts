/**
 * What a run folder already holds that the evaluation would otherwise compute again: the EBEs the fit reported
 * (individual.csv: the conditional modes after a maximum-likelihood finish, the encoder's μ after an `--estimate
 * elbo` fit — exactly what the evaluation uses) and each subject's −2LL contribution at the reported estimate
 * (estimates.json, maximumLikelihood.subjects: the finish's own final integration). They are reused only when the
 * dataset read is byte for byte the one the fit read (fit.json's sha256); with any other dataset they are computed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sha256 } from '../infer/fit-file.js';

/** individual.csv's `<prefix><effect>` columns in the order of `ids`; undefined when the file is absent. */
function readIndividual(folder: string, ids: readonly string[], effects: readonly string[], prefix: string): Float64Array[] | undefined {
  const file = join(folder, 'individual.csv');
  if (!existsSync(file)) return undefined;
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const byId = new Map(records.map((r, k) => [r['ID'], { r, row: k + 2 }]));
  for (const e of effects) if (records.length > 0 && !(`${prefix}${e}` in records[0]!)) throw new Error(`${file}: no column ${prefix}${e}`);
  return ids.map((id) => {
    const hit = byId.get(id);
    if (!hit) throw new Error(`${file}: no row for ID ${id} of the dataset (was the fit run on another dataset? give it with --data)`);
    return Float64Array.from(effects, (e) => {
      const cell = hit.r[`${prefix}${e}`]!;
      const v = cell === '' ? NaN : Number(cell);
      if (Number.isNaN(v) && cell !== '') throw new Error(`${file}:${hit.row}: ${prefix}${e} is not a number (${JSON.stringify(cell)})`);
      return v;
    });
  });
}

/**
 * individual.csv's EBEs (`ebe_<effect>` columns) in the order of `ids`; undefined when the file is absent. A
 * subject of the dataset without a row, or a column missing, is an error naming it.
 */
export function readEbes(folder: string, ids: readonly string[], effects: readonly string[]): Float64Array[] | undefined {
  return readIndividual(folder, ids, effects, 'ebe_');
}

/** Per-subject −2LL the fit stored, in the order of `ids`, with how it was integrated. */
export interface StoredLikelihood {
  readonly minus2LL: Float64Array;
  /** 'agq' or 'importance' (Laplace importance sampling), and nodes per effect or draws per subject. */
  readonly method: 'agq' | 'importance';
  readonly size: number;
  /** Per-subject Monte-Carlo SE of −2LL (0 for quadrature). */
  readonly mcError: Float64Array;
}

export interface StoredValues {
  readonly ebes?: Float64Array[];
  /** The EBEs' posterior marginal sds (`sd_<effect>`). */
  readonly sds?: Float64Array[];
  readonly likelihood?: StoredLikelihood;
  /** Why nothing was reused, when nothing was. */
  readonly reason?: string;
}

interface MlBlock {
  readonly method?: string;
  readonly size?: number;
  readonly subjects?: readonly { readonly id: string; readonly minus2LL: number | null; readonly mcError?: number | null }[];
}

function storedLikelihood(folder: string, ids: readonly string[]): StoredLikelihood | undefined {
  const file = join(folder, 'estimates.json');
  if (!existsSync(file)) return undefined;
  const ml = (JSON.parse(readFileSync(file, 'utf8')) as { maximumLikelihood?: MlBlock | null }).maximumLikelihood;
  if (!ml?.subjects || typeof ml.size !== 'number') return undefined;
  const byId = new Map(ml.subjects.map((s) => [s.id, s]));
  if (ids.some((id) => !byId.has(id))) return undefined;
  const at = (id: string, key: 'minus2LL' | 'mcError') => byId.get(id)![key] ?? (key === 'mcError' ? 0 : NaN);
  return {
    minus2LL: Float64Array.from(ids, (id) => at(id, 'minus2LL')), mcError: Float64Array.from(ids, (id) => at(id, 'mcError')),
    method: ml.method?.startsWith('adaptive') ? 'agq' : 'importance', size: ml.size,
  };
}

/** The reusable values of `folder` for the dataset `dataText` (ids in the context's order). */
export function storedValues(folder: string, fitDataSha: string, dataText: string, ids: readonly string[], effects: readonly string[]): StoredValues {
  if (sha256(dataText) !== fitDataSha) return { reason: 'the dataset is not the one fitted' };
  const ebes = readEbes(folder, ids, effects);
  const sds = ebes ? readIndividual(folder, ids, effects, 'sd_') : undefined;
  const likelihood = storedLikelihood(folder, ids);
  return { ...(ebes ? { ebes } : {}), ...(sds ? { sds } : {}), ...(likelihood ? { likelihood } : {}) };
}
