/**
 * The files of a run folder, each written atomically (an interrupted run never leaves a half-written file):
 * estimates.csv/.json, individual.csv (EBEs), predictions.csv (PRED, IPRED, IWRES), trace.csv, fit.json.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
import type { FitFile } from '../infer/fit-file.js';
import type { ObservationPrediction, SubjectPosterior } from '../infer/posterior.js';
import { unpack, type PopulationLayout } from '../infer/population.js';
import { formatNumber } from '../simulate/write-csv.js';
import { estimateRows, estimatesCsv } from './estimates.js';
import { writeFileAtomic } from './write-atomic.js';

export function individualCsv(ir: ModelIR, dataset: Dataset, subjects: readonly SubjectPosterior[]): string {
  const header = ['ID', ...ir.randomEffects.map((r) => `ebe_${r.name}`), ...ir.randomEffects.map((r) => `sd_${r.name}`), ...ir.parameters.filter((p) => !p.neural).map((p) => p.name)];
  const lines = [header.join(',')];
  subjects.forEach((s, i) => {
    const params = ir.parameters.map((p, k) => (p.neural ? undefined : formatNumber(s.p[k]!))).filter((v): v is string => v !== undefined);
    lines.push([dataset.ids[i]!, ...Array.from(s.mu, formatNumber), ...Array.from(s.sd, formatNumber), ...params].join(','));
  });
  return `${lines.join('\n')}\n`;
}

export function predictionsCsv(ir: ModelIR, dataset: Dataset, predictions: readonly ObservationPrediction[]): string {
  const lines = ['ID,TIME,OUTPUT,DV,PRED,IPRED,IWRES'];
  for (const p of predictions) {
    lines.push([dataset.ids[p.subject]!, formatNumber(p.time), ir.outputs[p.output]!.name, formatNumber(p.dv), formatNumber(p.pred), formatNumber(p.ipred), formatNumber(p.iwres)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function traceCsv(layout: PopulationLayout, fit: FitFile): string {
  const lines = [['epoch', 'elbo', 'validation_elbo', 'gradient_norm', 'learning_rate', 'seconds', ...layout.entries.map((e) => e.name)].join(',')];
  for (const r of fit.trace) {
    const { phi, omega, error } = unpack(layout, Float64Array.from(r.population));
    const values = layout.entries.map((e) => (e.kind === 'phi' ? phi[e.index]! : e.kind === 'logOmega' ? omega[e.index]! : error[e.index]!));
    lines.push([r.epoch, formatNumber(r.elbo), r.validationElbo === undefined ? '' : formatNumber(r.validationElbo), formatNumber(r.gradientNorm), formatNumber(r.learningRate), formatNumber(r.seconds), ...values.map(formatNumber)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export interface RunOutputs {
  readonly ir: ModelIR;
  readonly layout: PopulationLayout;
  readonly dataset: Dataset;
  readonly fit: FitFile;
  readonly subjects?: readonly SubjectPosterior[];
  readonly predictions?: readonly ObservationPrediction[];
}

/** Writes the run folder; returns the paths written. */
export function writeRunOutputs(dir: string, out: RunOutputs): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string): void => {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    written.push(path);
  };
  const population = Float64Array.from(out.fit.population.values);
  const rows = estimateRows(out.ir, out.layout, population);
  put('estimates.csv', estimatesCsv(rows));
  put('estimates.json', `${JSON.stringify({ model: out.fit.model.name, complete: out.fit.complete, stop: out.fit.stop, message: out.fit.message, backend: out.fit.backend, epochs: out.fit.state.epoch, elbo: out.fit.trace[out.fit.trace.length - 1]?.elbo ?? null, estimates: rows }, null, 2)}\n`);
  if (out.subjects) put('individual.csv', individualCsv(out.ir, out.dataset, out.subjects));
  if (out.predictions) put('predictions.csv', predictionsCsv(out.ir, out.dataset, out.predictions));
  put('trace.csv', traceCsv(out.layout, out.fit));
  put('fit.json', `${JSON.stringify(out.fit)}\n`);
  return written;
}
