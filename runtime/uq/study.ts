/**
 * The simulation study's table (seed 001, section 3): for every estimated parameter, over the replicates
 * k = 1…N fitted to data simulated at the true values φ,
 *
 *   Rel. bias = (mean φ̂_k − φ) / |φ|,   RRMSE = √(mean (φ̂_k − φ)²) / |φ|,   Emp. var = mean φ̂_k² − (mean φ̂_k)²,
 *   Est. var = mean SE_k²,   Emp. cov = share of φ̂_k ± 1.96 √Emp.var holding φ,   Est. cov = share of the fits' own 95 % CIs holding φ.
 *
 * Scales, as in the paper's tables: a parameter on its estimation scale (log θ for a lognormal θ, logit, …, with
 * the interval φ̂ ± 1.96 SE there); ω and residual-error parameters on the natural scale (SE by the delta method,
 * the interval the fit reports: the log-scale interval transformed back).
 */
import type { CheckedModel } from '../../compiler/check/checked-model.js';
import { correlationEntryName } from '../../compiler/check/correlations.js';
import { formatNumber } from '../data/format-number.js';
import { Z975 } from '../../stdlib/normal-quantiles.js';
import type { Random } from '../nn/random.js';

/**
 * Where each replicate's fit starts (`nlmc study --start`): at the truth (the model's values, which simulated the
 * data), or away from it, so the table says whether the fit finds the truth rather than whether it stays there.
 */
export type StudyStart = 'perturbed' | 'truth';

/** The perturbed start in words (help text, study.md, study.json). */
export const PERTURBED_START =
  'each estimated parameter 30 % from the truth (×1.3 or ×0.7; ±0.3 for a normal parameter at 0; bounded ones kept within 1–99 % of their range), each estimated ω and residual-error parameter ×1.5 or ÷1.5, directions drawn per replicate';

export interface StartValue {
  /** `theta1`; `omega_theta1` for an ω; an error parameter's name. */
  readonly name: string;
  readonly kind: 'parameter' | 'omega' | 'correlation' | 'error';
  readonly truth: number;
  readonly start: number;
}

/** A number as written in the model: four significant digits (what the fit then reads, exactly). */
const rounded = (v: number): number => Number(v.toPrecision(4));

/**
 * The perturbed start of one replicate (PERTURBED_START): every value the fit estimates, moved by a fixed amount in a
 * direction drawn from `random`. Fixed values stay; neural-network weights are not declared values, so they stay too.
 */
export function perturbedStart(checked: CheckedModel, random: Random): StartValue[] {
  const direction = (): 1 | -1 => (random.uniform() < 0.5 ? -1 : 1);
  const scaled = (v: number): number => rounded(v * 1.5 ** direction());
  const out: StartValue[] = [];
  for (const p of checked.parameters) {
    if (!p.fixed) {
      const d = direction();
      const t = p.transform;
      let start: number;
      if (t.kind === 'normal') start = p.initial === 0 ? 0.3 * d : p.initial * (1 + 0.3 * d);
      else if (t.kind === 'lognormal') start = p.initial * (1 + 0.3 * d);
      else {
        const margin = 0.01 * (t.upper - t.lower);
        start = Math.min(t.upper - margin, Math.max(t.lower + margin, p.initial * (1 + 0.3 * d)));
      }
      out.push({ name: p.name, kind: 'parameter', truth: p.initial, start: rounded(start) });
    }
    if (p.omega && !p.omega.fixed) out.push({ name: `omega_${p.name}`, kind: 'omega', truth: p.omega.initial, start: scaled(p.omega.initial) });
    if (p.iov && !p.iov.fixed) out.push({ name: `omega_iov_${p.name}`, kind: 'omega', truth: p.iov.initial, start: scaled(p.iov.initial) });
  }
  // Correlations start from none (0): the fit must find them, not be handed them.
  for (const c of checked.correlations) {
    if (!c.fixed) out.push({ name: correlationEntryName(checked.parameters[c.first]!.name, checked.parameters[c.second]!.name), kind: 'correlation', truth: c.initial, start: 0 });
  }
  for (const e of checked.errorParameters) {
    if (!e.fixed) out.push({ name: e.name, kind: 'error', truth: e.initial, start: scaled(e.initial) });
  }
  return out;
}

/**
 * One replicate's estimates as read back from its estimates.json (the fields the table needs; the report writes
 * them, runtime/report/estimates.ts `EstimateRow`, and the study reads only the file, not the report).
 */
export interface ReplicateRow {
  readonly name: string;
  readonly kind: 'parameter' | 'omega' | 'correlation' | 'error';
  /** Natural scale. */
  readonly estimate: number;
  /** The estimate on its estimation scale, and which scale that is. */
  readonly transformed: number;
  readonly scale: string;
  readonly fixed: boolean;
  /** Natural-scale SE and 95 % interval; null without uncertainty. */
  readonly se: number | null;
  readonly ciLower: number | null;
  readonly ciUpper: number | null;
  /** SE on the estimation scale. */
  readonly seTransformed: number | null;
}

export interface StudyRow {
  readonly parameter: string;
  /** What is tabulated: e.g. 'log(theta1)', 'omega_theta1'. */
  readonly label: string;
  readonly truth: number;
  /** Replicates with an estimate, and those with a standard error too. */
  readonly replicates: number;
  readonly withSe: number;
  readonly mean: number;
  /** Percent. */
  readonly relBias: number;
  readonly rrmse: number;
  readonly empVar: number;
  /** null when no replicate has a standard error. */
  readonly estVar: number | null;
  readonly empCov: number;
  readonly estCov: number | null;
}

/** The value, its SE and its 95 % interval on the table's scale. */
function onTableScale(r: ReplicateRow): { x: number; se: number | null; lo: number | null; hi: number | null } {
  if (r.kind === 'parameter') {
    const se = r.seTransformed;
    return { x: r.transformed, se, lo: se === null ? null : r.transformed - Z975 * se, hi: se === null ? null : r.transformed + Z975 * se };
  }
  return { x: r.estimate, se: r.se, lo: r.ciLower, hi: r.ciUpper };
}

export function tableLabel(r: Pick<ReplicateRow, 'name' | 'kind' | 'scale'>): string {
  return r.kind === 'parameter' && r.scale !== 'identity' ? `${r.scale}(${r.name})` : r.name;
}

/**
 * `truth`: the true value of every row on the table's scale (estimation scale for parameters, natural for ω and
 * residual-error parameters), by name. `replicates`: each replicate's rows (a failed replicate is left out).
 */
export function studyTable(truth: ReadonlyMap<string, number>, replicates: readonly (readonly ReplicateRow[])[]): StudyRow[] {
  const first = replicates[0] ?? [];
  const rows: StudyRow[] = [];
  for (const template of first) {
    if (template.fixed) continue;
    const t = truth.get(template.name);
    if (t === undefined) continue;
    const values = replicates.map((rs) => rs.find((r) => r.name === template.name)).filter((r): r is ReplicateRow => r !== undefined && Number.isFinite(r.estimate)).map(onTableScale);
    const n = values.length;
    if (n === 0) continue;
    const mean = values.reduce((s, v) => s + v.x, 0) / n;
    const mse = values.reduce((s, v) => s + (v.x - t) ** 2, 0) / n;
    const empVar = Math.max(0, values.reduce((s, v) => s + v.x * v.x, 0) / n - mean * mean);
    const half = Z975 * Math.sqrt(empVar);
    const withSe = values.filter((v) => v.se !== null && v.lo !== null && v.hi !== null);
    const scale = Math.abs(t) > 0 ? Math.abs(t) : 1;
    rows.push({
      parameter: template.name, label: tableLabel(template), truth: t, replicates: n, withSe: withSe.length, mean,
      relBias: (100 * (mean - t)) / scale, rrmse: (100 * Math.sqrt(mse)) / scale, empVar,
      estVar: withSe.length > 0 ? withSe.reduce((s, v) => s + v.se! ** 2, 0) / withSe.length : null,
      empCov: values.filter((v) => Math.abs(v.x - t) <= half).length / n,
      estCov: withSe.length > 0 ? withSe.filter((v) => v.lo! <= t && t <= v.hi!).length / withSe.length : null,
    });
  }
  return rows;
}

const fixed = (v: number | null, digits: number): string => (v === null ? '' : v.toFixed(digits));

export function studyCsv(rows: readonly StudyRow[]): string {
  const lines = ['parameter,label,truth,replicates,with_se,mean,rel_bias_percent,rrmse_percent,emp_var,est_var,emp_cov,est_cov'];
  for (const r of rows) {
    lines.push([r.parameter, r.label, formatNumber(r.truth), r.replicates, r.withSe, formatNumber(r.mean), formatNumber(r.relBias), formatNumber(r.rrmse), formatNumber(r.empVar), r.estVar === null ? '' : formatNumber(r.estVar), formatNumber(r.empCov), r.estCov === null ? '' : formatNumber(r.estCov)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The table as Markdown, variances in units of 10⁻² as in the paper. */
export function studyMarkdown(rows: readonly StudyRow[]): string {
  const lines = [
    '| parameter | truth | N | Rel. bias (%) | RRMSE (%) | Emp. var (10⁻²) | Est. var (10⁻²) | Emp. cov | Est. cov |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.label} | ${Number(r.truth.toPrecision(4))} | ${r.replicates}${r.withSe < r.replicates ? ` (${r.withSe} with SE)` : ''} | ${r.relBias.toFixed(2)} | ${r.rrmse.toFixed(2)} | ${(100 * r.empVar).toFixed(3)} | ${r.estVar === null ? '' : (100 * r.estVar).toFixed(3)} | ${r.empCov.toFixed(2)} | ${fixed(r.estCov, 2)} |`);
  }
  return `${lines.join('\n')}\n`;
}
