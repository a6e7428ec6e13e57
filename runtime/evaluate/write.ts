/** The files `nlmc evaluate` writes into the run folder: npde.csv, vpc.csv and evaluation.json. */
import { join } from 'node:path';
import { writeFileAtomic } from '../data/write-atomic.js';
import { formatNumber } from '../data/format-number.js';
import type { ModelEvaluation } from './evaluate.js';
import type { NormalitySummary } from './stats.js';

const cell = (v: number): string => (Number.isFinite(v) ? formatNumber(v) : '');
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function npdeCsv(e: ModelEvaluation): string {
  const { ctx } = e.run;
  const lines = ['ID,TIME,OUTPUT,DV,PRED,EPRED,ESD,PWRES,PDE,NPDE,CENSORED'];
  for (const r of e.npde) {
    lines.push([ctx.dataset.ids[r.subject]!, cell(r.time), ctx.ir.outputs[r.output]!.name, cell(r.dv), cell(r.pred), cell(r.epred), cell(r.esd), cell(r.pwres), cell(r.pde), cell(r.npde), r.censored ? 1 : 0].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function vpcCsv(e: ModelEvaluation): string {
  const { ctx } = e.run;
  // TIME_* is the binning variable (time, or time after dose: evaluation.json's vpcBinning); an empty OBSERVED or
  // SIM_* cell of a percentile row is a percentile beyond a limit of quantification; KIND blq / alq: fractions below / above it.
  const lines = ['KIND,OUTPUT,STRATUM,BIN,TIME_LOWER,TIME_UPPER,TIME_MEDIAN,N,PERCENTILE,OBSERVED,SIM_LOWER,SIM_MEDIAN,SIM_UPPER,INSIDE'];
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const v of e.vpc) {
    for (const r of v.rows) {
      lines.push([r.kind, ctx.ir.outputs[v.output]!.name, quote(e.strata[r.stratum]!), r.bin, cell(r.timeLower), cell(r.timeUpper), cell(r.timeMedian), r.count, cell(r.percentile), cell(r.observed), cell(r.simLower), cell(r.simMedian), cell(r.simUpper), r.inside ? 1 : 0].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

const summaryJson = (s: NormalitySummary) => ({
  n: s.n, mean: finite(s.mean), meanSe: finite(s.meanSe), variance: finite(s.variance), skewness: finite(s.skewness), kurtosis: finite(s.kurtosis),
  meanP: finite(s.meanP), varianceP: finite(s.varianceP), ksD: finite(s.ks.d), ksP: finite(s.ks.p),
});

/** Per kind and percentile: the share of bins whose observed percentile lies inside the simulated interval. */
export function vpcCoverage(e: ModelEvaluation): { kind: string; output: string; percentile: number | null; bins: number; inside: number }[] {
  const out: { kind: string; output: string; percentile: number | null; bins: number; inside: number }[] = [];
  for (const v of e.vpc) {
    const groups = new Map<string, { kind: string; percentile: number; bins: number; inside: number }>();
    for (const r of v.rows) {
      const key = `${r.kind}:${r.percentile}`; // strata pooled
      const g = groups.get(key) ?? { kind: r.kind, percentile: r.percentile, bins: 0, inside: 0 };
      g.bins++;
      if (r.inside) g.inside++;
      groups.set(key, g);
    }
    for (const g of groups.values()) out.push({ ...g, percentile: finite(g.percentile), output: e.run.ctx.ir.outputs[v.output]!.name });
  }
  return out;
}

export function evaluationJson(e: ModelEvaluation): string {
  const { ctx, fit } = e.run;
  return `${JSON.stringify({
    model: fit.model.name, fitCreatedAt: fit.createdAt, estimate: fit.maximumLikelihood ? 'maximum likelihood' : 'variational (ELBO optimum)',
    samples: e.options.samples, seed: e.options.seed, bins: e.options.bins, scale: 'the output’s scale (as predictions.csv: a declared data transform applied)',
    npde: summaryJson(e.npdeSummary), pwres: summaryJson(e.pwresSummary),
    notDecorrelated: e.notDecorrelated.map((i) => ctx.dataset.ids[i]!),
    shrinkage: e.shrinkage,
    ebes: e.ebeSource,
    likelihood: {
      method: likelihoodMethod(e.likelihood), source: e.likelihood.source === 'fit' ? 'the fit (estimates.json: the maximum-likelihood finish’s final integration)' : 'computed by nlmc evaluate',
      subjectsIntegrated: e.likelihood.subjects, minus2LL: e.likelihood.total, minus2LLSe: e.likelihood.totalSe,
      totalIs: e.likelihood.subjects < e.likelihood.minus2LL.length ? 'estimated: subjects × the mean of a random sample' : 'the sum over subjects',
      fitMinus2LL: fit.maximumLikelihood ? -2 * fit.maximumLikelihood.logLik : null,
      subjects: Array.from(e.likelihood.minus2LL, (v, i) => ({ id: ctx.dataset.ids[i]!, minus2LL: finite(v) })),
    },
    vpcBinning: e.binning === 'tad' ? 'time after dose' : 'time', vpcStrata: e.strata, vpc: vpcCoverage(e),
    failedSimulations: e.failedSimulations, notes: e.notes, seconds: e.seconds,
  }, null, 2)}\n`;
}

export function likelihoodMethod(l: ModelEvaluation['likelihood']): string {
  return { agq: `adaptive Gauss–Hermite quadrature, ${l.nodes} nodes per random effect`, laplace: 'Laplace approximation', importance: `Laplace importance sampling, ${l.nodes} draws per subject` }[l.method];
}

/** Writes the three files (each atomically) into `dir`; returns their paths. */
export function writeEvaluation(dir: string, e: ModelEvaluation): string[] {
  const files: [string, string][] = [['npde.csv', npdeCsv(e)], ['vpc.csv', vpcCsv(e)], ['evaluation.json', evaluationJson(e)]];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    return path;
  });
}
