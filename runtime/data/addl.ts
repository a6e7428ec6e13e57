/**
 * ADDL/II expansion: a dose row with ADDL = n and II = τ stands for n + 1 doses, at t, t + τ, …, t + nτ. The
 * engine gets them as explicit events (the same amount, input and rate), so it needs no notion of dosing
 * regimens, and the events of a subject are merged into time order with its other dose rows (stable: doses at
 * one time keep their row order).
 *
 * Each event also records the row whose covariate values hold at its time: its own row for the dose as written,
 * and for an added dose the subject's last row at or before that time (rows are in time order, so a binary
 * search finds it) — the same carried-forward rule as everywhere else.
 */
import { RowKind, type RowTable } from './row-table.js';

/** The dose events of one subject, in time order; reused from subject to subject. */
export class DoseEvents {
  length = 0;
  time = new Float64Array(16);
  /** Row-table index of the dose row that gave the event. */
  source = new Int32Array(16);
  /** Row-table index of the row whose covariates hold at the event's time. */
  covariateRow = new Int32Array(16);
  private order = new Int32Array(16);
  private scratchTime = new Float64Array(16);
  private scratchSource = new Int32Array(16);
  private scratchCovariateRow = new Int32Array(16);

  /** Collects the dose events of rows [start, end) of `table`. */
  collect(table: RowTable, start: number, end: number): void {
    this.length = 0;
    let expanded = false;
    for (let r = start; r < end; r++) {
      if (table.kind[r] !== RowKind.dose) continue;
      const t = table.time[r]!;
      this.push(t, r, r);
      const addl = table.addl[r]!;
      const ii = table.ii[r]!;
      for (let k = 1; k <= addl; k++) {
        const tk = t + k * ii;
        this.push(tk, r, lastRowAtOrBefore(table, r, end, tk));
        expanded = true;
      }
    }
    if (expanded) this.sortByTime();
  }

  private push(time: number, source: number, covariateRow: number): void {
    if (this.length === this.time.length) this.grow(this.length * 2);
    this.time[this.length] = time;
    this.source[this.length] = source;
    this.covariateRow[this.length] = covariateRow;
    this.length++;
  }

  private grow(n: number): void {
    const time = new Float64Array(n);
    time.set(this.time);
    this.time = time;
    const source = new Int32Array(n);
    source.set(this.source);
    this.source = source;
    const covariateRow = new Int32Array(n);
    covariateRow.set(this.covariateRow);
    this.covariateRow = covariateRow;
    this.order = new Int32Array(n);
    this.scratchTime = new Float64Array(n);
    this.scratchSource = new Int32Array(n);
    this.scratchCovariateRow = new Int32Array(n);
  }

  private sortByTime(): void {
    const n = this.length;
    const order = this.order.subarray(0, n);
    for (let i = 0; i < n; i++) order[i] = i;
    const time = this.time;
    order.sort((a, b) => time[a]! - time[b]! || a - b); // ties by position: stable
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      this.scratchTime[i] = time[j]!;
      this.scratchSource[i] = this.source[j]!;
      this.scratchCovariateRow[i] = this.covariateRow[j]!;
    }
    this.time.set(this.scratchTime.subarray(0, n));
    this.source.set(this.scratchSource.subarray(0, n));
    this.covariateRow.set(this.scratchCovariateRow.subarray(0, n));
  }
}

/** Number of dose events rows [start, end) give, counting ADDL repeats. */
export function doseEventCount(table: RowTable, start: number, end: number): number {
  let n = 0;
  for (let r = start; r < end; r++) if (table.kind[r] === RowKind.dose) n += 1 + table.addl[r]!;
  return n;
}

/** The last row in [from, end) with time ≤ t (rows are in time order; `from` itself qualifies). */
function lastRowAtOrBefore(table: RowTable, from: number, end: number, t: number): number {
  let lo = from;
  let hi = end - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (table.time[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
