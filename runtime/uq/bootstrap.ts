/**
 * The nonparametric bootstrap (`nlmc bootstrap`, docs/uncertainty.md): case resampling by subject, and the
 * percentile and BCa intervals from the refits.
 *
 * Resampling: a bootstrap dataset draws N subjects with replacement from the N of the data (within each stratum,
 * its own count, when stratified by a covariate), each with all its rows; drawn subjects get new IDs 1…N, so a
 * subject drawn twice is two subjects of the refit, not one with doubled rows.
 *
 * Intervals at level 1 − α, from the B refits θ*_b that finished, on the natural scale of each parameter:
 *   percentile: the α/2 and 1 − α/2 sample quantiles of θ*_b (R's type 7);
 *   BCa (Efron 1987): the quantiles at α₁ = Φ(z₀ + (z₀ + z_{α/2}) / (1 − a (z₀ + z_{α/2}))) and α₂ likewise with
 *     z_{1−α/2}, where z₀ = Φ⁻¹(share of θ*_b below θ̂, ties half) corrects the median bias and the acceleration
 *     a = Σ (θ̄₍.₎ − θ₍ᵢ₎)³ / (6 [Σ (θ̄₍.₎ − θ₍ᵢ₎)²]^{3/2}) comes from the jackknife: θ₍ᵢ₎ refitted without subject i.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { detectDelimiter } from '../data/csv-records.js';
import { normalCdf, normalQuantile, quantileSorted } from '../../stdlib/normal-quantiles.js';
import type { Random } from '../nn/random.js';
import { formatNumber } from '../data/format-number.js';
import type { ReplicateRow } from './study.js';

/** The data file cut into subjects: each subject's records (cells as written), in file order. */
export interface SubjectBlocks {
  readonly header: readonly string[];
  readonly delimiter: string;
  readonly idColumn: number;
  readonly subjects: readonly { readonly id: string; readonly records: readonly string[][]; readonly stratum: string | null }[];
}

/**
 * Cuts the CSV text into subjects by the ID column (`idName`, any case). With `stratifyName`, the subject's stratum is
 * its value in that column, which must be the same on all its rows. Errors name the row and column.
 */
export function subjectBlocks(text: string, fileName: string, idName: string, stratifyName?: string): SubjectBlocks | { error: string } {
  const delimiter = detectDelimiter(text);
  const records = parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  const first = records[0];
  if (!first) return { error: `${fileName}: the file is empty` };
  const header = first.record.map((h, i) => (i === 0 ? h.trim().replace(/^#\s*/, '') : h.trim()));
  const find = (name: string): number => {
    const exact = header.indexOf(name);
    return exact >= 0 ? exact : header.findIndex((h) => h.toUpperCase() === name.toUpperCase());
  };
  const idColumn = find(idName);
  if (idColumn < 0) return { error: `${fileName}:${first.info.lines}: no ${idName} column to resample subjects by (columns: ${header.join(', ')})` };
  const strataColumn = stratifyName === undefined ? -1 : find(stratifyName);
  if (stratifyName !== undefined && strataColumn < 0) return { error: `${fileName}:${first.info.lines}: --stratify ${stratifyName}: there is no column ${stratifyName} (columns: ${header.join(', ')})` };
  const subjects: { id: string; records: string[][]; stratum: string | null }[] = [];
  for (const { record, info } of records.slice(1)) {
    if (record.every((c) => c.trim() === '')) continue;
    const id = (record[idColumn] ?? '').trim();
    let subject = subjects.at(-1);
    if (subject?.id !== id) {
      if (subjects.some((s) => s.id === id)) return { error: `${fileName}:${info.lines}:${idColumn + 1} (${header[idColumn]}): ID ${id} appears again after other subjects; a subject's rows must be together` };
      subject = { id, records: [], stratum: strataColumn < 0 ? null : (record[strataColumn] ?? '').trim() };
      subjects.push(subject);
    }
    if (strataColumn >= 0 && (record[strataColumn] ?? '').trim() !== subject.stratum) {
      return { error: `${fileName}:${info.lines}:${strataColumn + 1} (${header[strataColumn]}): ID ${id} has ${stratifyName} ${subject.stratum} and ${(record[strataColumn] ?? '').trim()}; stratify by a covariate that is constant within each subject` };
    }
    subject.records.push(record);
  }
  return { header: first.record, delimiter, idColumn, subjects };
}

/**
 * One bootstrap draw: subject indices, N in all, drawn with replacement — within each stratum (in order of first
 * appearance), as many as it has.
 */
export function drawSubjects(blocks: SubjectBlocks, random: Random): number[] {
  const strata = new Map<string | null, number[]>();
  blocks.subjects.forEach((s, i) => strata.set(s.stratum, [...(strata.get(s.stratum) ?? []), i]));
  const drawn: number[] = [];
  for (const members of strata.values()) for (let k = 0; k < members.length; k++) drawn.push(members[random.int(members.length)]!);
  return drawn;
}

/** The dataset of the given subjects in this order; `renumber`: IDs 1…n (a bootstrap), else the IDs as written. */
export function subjectsCsv(blocks: SubjectBlocks, subjects: readonly number[], renumber: boolean): string {
  const rows: string[][] = [[...blocks.header]];
  subjects.forEach((s, k) => {
    for (const r of blocks.subjects[s]!.records) rows.push(renumber ? r.map((c, j) => (j === blocks.idColumn ? String(k + 1) : c)) : r);
  });
  return stringify(rows, { delimiter: blocks.delimiter });
}

/** Jackknife acceleration from the leave-one-out estimates (null when they do not vary). */
export function jackknifeAcceleration(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  let s2 = 0;
  let s3 = 0;
  for (const v of values) {
    s2 += (mean - v) ** 2;
    s3 += (mean - v) ** 3;
  }
  return s2 > 0 ? s3 / (6 * s2 ** 1.5) : null;
}

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

export function percentileInterval(sorted: Float64Array, level: number): Interval {
  const alpha = 1 - level;
  return { lower: quantileSorted(sorted, alpha / 2), upper: quantileSorted(sorted, 1 - alpha / 2) };
}

/** The BCa interval, with its z₀ and a; null when z₀ is infinite (every refit on one side of θ̂). */
export function bcaInterval(sorted: Float64Array, estimate: number, acceleration: number, level: number): (Interval & { z0: number }) | null {
  let below = 0;
  for (const v of sorted) below += v < estimate ? 1 : v === estimate ? 0.5 : 0;
  const z0 = normalQuantile(below / sorted.length);
  if (!Number.isFinite(z0)) return null;
  const adjusted = (z: number): number => normalCdf(z0 + (z0 + z) / (1 - acceleration * (z0 + z)));
  const zLow = normalQuantile((1 - level) / 2);
  return { lower: quantileSorted(sorted, adjusted(zLow)), upper: quantileSorted(sorted, adjusted(-zLow)), z0 };
}

export interface BootstrapRow {
  readonly parameter: string;
  readonly kind: ReplicateRow['kind'];
  /** θ̂: the fit to the data. */
  readonly estimate: number;
  /** Refits with a finite value of this parameter. */
  readonly samples: number;
  readonly mean: number;
  /** The standard deviation of the refits: the bootstrap standard error. */
  readonly se: number;
  /** mean − θ̂. */
  readonly bias: number;
  readonly percentile: Interval;
  /** null without the jackknife (--no-bca), or when z₀ or a cannot be had. */
  readonly bca: Interval | null;
  readonly z0: number | null;
  readonly acceleration: number | null;
  /** The fit's own interval from the observed information (null without one), for comparison. */
  readonly wald: Interval | null;
}

/**
 * The table: one row per estimated parameter of the fit to the data, from the refits that finished (`samples`) and
 * the leave-one-subject-out fits (`jackknife`, null: no BCa).
 */
export function bootstrapTable(original: readonly ReplicateRow[], samples: readonly (readonly ReplicateRow[])[], jackknife: readonly (readonly ReplicateRow[])[] | null, level: number): BootstrapRow[] {
  const value = (rows: readonly ReplicateRow[], name: string): number | undefined => {
    const v = rows.find((r) => r.name === name)?.estimate;
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const out: BootstrapRow[] = [];
  for (const row of original) {
    if (row.fixed || !Number.isFinite(row.estimate)) continue;
    const values = samples.map((s) => value(s, row.name)).filter((v): v is number => v !== undefined);
    if (values.length < 2) continue;
    const sorted = Float64Array.from(values).sort();
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const se = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const a = jackknife ? jackknifeAcceleration(jackknife.map((j) => value(j, row.name)).filter((v): v is number => v !== undefined)) : null;
    const bca = a === null ? null : bcaInterval(sorted, row.estimate, a, level);
    out.push({
      parameter: row.name, kind: row.kind, estimate: row.estimate, samples: values.length, mean, se, bias: mean - row.estimate,
      percentile: percentileInterval(sorted, level), bca: bca ? { lower: bca.lower, upper: bca.upper } : null, z0: bca?.z0 ?? null, acceleration: a,
      wald: row.ciLower !== null && row.ciUpper !== null ? { lower: row.ciLower, upper: row.ciUpper } : null,
    });
  }
  return out;
}

const num = (v: number | null | undefined): string => (v === null || v === undefined ? '' : formatNumber(v));

export function bootstrapCsv(rows: readonly BootstrapRow[]): string {
  const lines = ['parameter,estimate,samples,mean,se,bias,percentile_lower,percentile_upper,bca_lower,bca_upper,z0,acceleration,wald_lower,wald_upper'];
  for (const r of rows) {
    lines.push([r.parameter, num(r.estimate), r.samples, num(r.mean), num(r.se), num(r.bias), num(r.percentile.lower), num(r.percentile.upper), num(r.bca?.lower), num(r.bca?.upper), num(r.z0), num(r.acceleration), num(r.wald?.lower), num(r.wald?.upper)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function bootstrapMarkdown(rows: readonly BootstrapRow[], level: number): string {
  const p = `${Math.round(level * 100)} %`;
  const g = (v: number): string => String(Number(v.toPrecision(4)));
  const iv = (i: Interval | null): string => (i ? `${g(i.lower)} – ${g(i.upper)}` : '');
  const lines = [`| parameter | estimate | bootstrap SE | bias | percentile ${p} | BCa ${p} | Wald ${p} (the fit's) |`, '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.parameter} | ${g(r.estimate)} | ${g(r.se)} | ${g(r.bias)} | ${iv(r.percentile)} | ${iv(r.bca)} | ${iv(r.wald)} |`);
  return `${lines.join('\n')}\n`;
}

/** The refits' estimates, one row per finished sample (samples.csv). */
export function samplesCsv(names: readonly string[], samples: readonly { readonly sample: number; readonly rows: readonly ReplicateRow[] }[]): string {
  const lines = [['sample', ...names].join(',')];
  for (const s of samples) lines.push([s.sample, ...names.map((n) => num(s.rows.find((r) => r.name === n)?.estimate))].join(','));
  return `${lines.join('\n')}\n`;
}
