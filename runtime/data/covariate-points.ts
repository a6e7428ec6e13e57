/**
 * A subject's covariates as functions of time, for the engine: piecewise linear between change points T_0 < T_1 <
 * … (T_0 the subject's first row), c(t) = v_k + s_k · max(0, t − T_k) on [T_k, T_(k+1)) — constant before T_0.
 *
 * - Carried forward ('locf', the default, NONMEM's): a step function; a point wherever a row's value differs from
 *   the row before (several rows at one time: the last one's value holds from that time), slope 0.
 * - 'linear': a straight line between the rows that give a value (the nodes; at one time the last one counts),
 *   constant before the first node and after the last; a point at every node.
 *
 * The points are the union over the covariates, so at each point every covariate has its value and slope.
 */
import type { RowTable } from './row-table.js';

/** Receives point k: its time, then for each covariate its value and slope. */
export type PointSink = (k: number, time: number, values: Float64Array, slopes: Float64Array) => void;

/** The change points of rows [start, end); writes them through `sink` when given, and returns their number. */
export function covariatePoints(table: RowTable, start: number, end: number, linear: readonly boolean[], sink?: PointSink): number {
  const C = table.covariates.length;
  const times: number[] = [];
  for (let r = start; r < end; r++) {
    const t = table.time[r]!;
    let point = r === start;
    for (let c = 0; c < C && !point; c++) {
      point = linear[c] ? table.covariateGiven[c]![r] === 1 : table.covariates[c]![r] !== table.covariates[c]![r - 1];
    }
    if (point && times[times.length - 1] !== t) times.push(t);
  }
  if (!sink) return times.length;
  const values = new Float64Array(C);
  const slopes = new Float64Array(C);
  // Per covariate: the nodes of a linear one (time, value; the last row at a time wins).
  const nodes = Array.from({ length: C }, (_, c) => (linear[c] ? linearNodes(table, start, end, c) : undefined));
  let row = start; // the last row at or before the point's time
  times.forEach((t, k) => {
    while (row + 1 < end && table.time[row + 1]! <= t) row++;
    for (let c = 0; c < C; c++) {
      const n = nodes[c];
      if (!n) {
        values[c] = table.covariates[c]![row]!;
        slopes[c] = 0;
        continue;
      }
      const [v, s] = lineAt(n, t);
      values[c] = v;
      slopes[c] = s;
    }
    sink(k, t, values, slopes);
  });
  return times.length;
}

function linearNodes(table: RowTable, start: number, end: number, c: number): { t: number[]; v: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let r = start; r < end; r++) {
    if (table.covariateGiven[c]![r] !== 1) continue;
    const time = table.time[r]!;
    if (t[t.length - 1] === time) v[v.length - 1] = table.covariates[c]![r]!;
    else {
      t.push(time);
      v.push(table.covariates[c]![r]!);
    }
  }
  if (t.length === 0) {
    // No node: the filled value (an error was reported for a covariate without any value).
    t.push(table.time[start]!);
    v.push(table.covariates[c]![start]!);
  }
  return { t, v };
}

/** The value at time t and the slope from t on, of the line through the nodes (constant outside them). */
function lineAt(n: { t: number[]; v: number[] }, t: number): [number, number] {
  const last = n.t.length - 1;
  if (t < n.t[0]!) return [n.v[0]!, 0];
  if (t >= n.t[last]!) return [n.v[last]!, 0];
  let i = 0;
  while (n.t[i + 1]! <= t) i++;
  const slope = (n.v[i + 1]! - n.v[i]!) / (n.t[i + 1]! - n.t[i]!);
  return [n.v[i]! + slope * (t - n.t[i]!), slope];
}
