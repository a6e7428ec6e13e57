/**
 * Writing simulated data as a NONMEM-style CSV, and the sidecar file of true individual values. Numbers are
 * printed with 10 significant digits by one function, so the same seed gives the same bytes everywhere.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { formatNumber } from '../data/format-number.js';
import { covariatesAt, trackOf } from '../engine/engine-data.js';
import type { SimulatedSubject, SimulationSubject } from './simulate.js';


/** Observation rows come before dose rows at the same time: the simulation gave them the pre-dose state. */
export function simulatedCsv(ir: ModelIR, simulated: readonly SimulatedSubject[]): string {
  const withRate = simulated.some((s) => s.subject.doses.some((d) => d.rate !== 0));
  const withDvid = ir.outputs.length > 1;
  const header = ['ID', 'TIME', 'DV', 'MDV', 'EVID', 'AMT', 'CMT', ...(withRate ? ['RATE'] : []), ...(withDvid ? ['DVID'] : []), ...ir.covariates.map((c) => c.name)];
  const lines = [header.join(',')];
  for (const s of simulated) {
    const at = covariatesAtRows(s.subject);
    const rows: { time: number; kind: number; cells: string[] }[] = [];
    for (const d of s.subject.doses) {
      const input = ir.inputs[d.input]!;
      rows.push({
        time: d.time, kind: 1,
        cells: [s.subject.id, formatNumber(d.time), '.', '1', '1', formatNumber(d.amount), String(input.cmt), ...(withRate ? [formatNumber(d.rate)] : []), ...(withDvid ? ['.'] : []), ...at(d.time)],
      });
    }
    s.subject.obsTimes.forEach((t, j) => {
      const o = s.subject.obsOutputs[j]!;
      rows.push({
        time: t, kind: 0,
        cells: [s.subject.id, formatNumber(t), formatNumber(s.dv[j]!), '0', '0', '0', '.', ...(withRate ? ['0'] : []), ...(withDvid ? [String(ir.outputs[o]!.dvid)] : []), ...at(t)],
      });
    });
    // A change of a covariate where the subject has no row: an EVID 2 row, so the file reads back to the same track.
    for (const point of s.subject.covariatePoints?.slice(1) ?? []) {
      if (rows.some((r) => r.time === point.time)) continue;
      rows.push({ time: point.time, kind: 2, cells: [s.subject.id, formatNumber(point.time), '.', '1', '2', '.', '.', ...(withRate ? ['.'] : []), ...(withDvid ? ['.'] : []), ...at(point.time)] });
    }
    // At one time observations come first: their DV is the pre-dose value, which is what nlmc and NONMEM, reading
    // records in order, predict for them there (after the dose row both would predict the post-dose value).
    rows.sort((a, b) => a.time - b.time || a.kind - b.kind);
    for (const r of rows) lines.push(r.cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The covariate cells of a row at time t: the subject's values, or on a changing track the value holding at t. */
function covariatesAtRows(subject: SimulationSubject): (t: number) => string[] {
  if (!subject.covariatePoints) {
    const cells = subject.covariates.map(formatNumber);
    return () => cells;
  }
  const track = trackOf(subject.covariatePoints);
  const c = new Float64Array(subject.covariates.length);
  return (t) => {
    covariatesAt(track, t, c);
    return Array.from(c, formatNumber);
  };
}

/** ID, each random effect, each individual parameter. */
export function truthCsv(ir: ModelIR, simulated: readonly SimulatedSubject[]): string {
  // A κ's individual value is its random effect: one column.
  const individual = ir.parameters.flatMap((p, k) => (p.occasion ? [] : [k]));
  const header = ['ID', ...ir.randomEffects.map((r) => r.name), ...individual.map((k) => ir.parameters[k]!.name)];
  const lines = [header.join(',')];
  for (const s of simulated) lines.push([s.subject.id, ...Array.from(s.eta, formatNumber), ...individual.map((k) => formatNumber(s.p[k]!))].join(','));
  return `${lines.join('\n')}\n`;
}
