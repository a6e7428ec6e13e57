/**
 * Writing simulated data as a NONMEM-style CSV, and the sidecar file of true individual values. Numbers are
 * printed with 10 significant digits by one function, so the same seed gives the same bytes everywhere.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { SimulatedSubject } from './simulate.js';

export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(10)));
}

/** Observation rows come before dose rows at the same time: the simulation gave them the pre-dose state. */
export function simulatedCsv(ir: ModelIR, simulated: readonly SimulatedSubject[]): string {
  const withRate = simulated.some((s) => s.subject.doses.some((d) => d.rate !== 0));
  const withDvid = ir.outputs.length > 1;
  const header = ['ID', 'TIME', 'DV', 'MDV', 'EVID', 'AMT', 'CMT', ...(withRate ? ['RATE'] : []), ...(withDvid ? ['DVID'] : []), ...ir.covariates.map((c) => c.name)];
  const lines = [header.join(',')];
  for (const s of simulated) {
    const cov = s.subject.covariates.map(formatNumber);
    const rows: { time: number; kind: number; cells: string[] }[] = [];
    for (const d of s.subject.doses) {
      const input = ir.inputs[d.input]!;
      rows.push({
        time: d.time, kind: 1,
        cells: [s.subject.id, formatNumber(d.time), '.', '1', '1', formatNumber(d.amount), String(input.cmt), ...(withRate ? [formatNumber(d.rate)] : []), ...(withDvid ? ['.'] : []), ...cov],
      });
    }
    s.subject.obsTimes.forEach((t, j) => {
      const o = s.subject.obsOutputs[j]!;
      rows.push({
        time: t, kind: 0,
        cells: [s.subject.id, formatNumber(t), formatNumber(s.dv[j]!), '0', '0', '0', '.', ...(withRate ? ['0'] : []), ...(withDvid ? [String(ir.outputs[o]!.dvid)] : []), ...cov],
      });
    });
    // At one time observations come first: their DV is the pre-dose value, which is what nlmc and NONMEM, reading
    // records in order, predict for them there (after the dose row both would predict the post-dose value).
    rows.sort((a, b) => a.time - b.time || a.kind - b.kind);
    for (const r of rows) lines.push(r.cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** ID, each random effect, each individual parameter. */
export function truthCsv(ir: ModelIR, simulated: readonly SimulatedSubject[]): string {
  const header = ['ID', ...ir.randomEffects.map((r) => r.name), ...ir.parameters.map((p) => p.name)];
  const lines = [header.join(',')];
  for (const s of simulated) lines.push([s.subject.id, ...Array.from(s.eta, formatNumber), ...Array.from(s.p, formatNumber)].join(','));
  return `${lines.join('\n')}\n`;
}
