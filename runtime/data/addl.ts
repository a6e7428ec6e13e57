/**
 * ADDL/II expansion: a dose row with ADDL = n and II = τ stands for n + 1 doses, at t, t + τ, …, t + nτ. The
 * engine gets them as explicit events (the same amount, input and rate), so it needs no notion of dosing
 * regimens, and the events of a subject are merged into time order with its other dose rows (stable: doses at
 * one time keep their row order).
 *
 * Resets are events too (kind `DoseKind.reset`, from EVID 3 rows and before the dose of an EVID 4 row), and a
 * dose row with SS = 1 or 2 gives a steady-state event; its ADDL repeats are plain doses.
 *
 * As in NONMEM, a reset or an SS = 1 dose cancels the pending additional doses of earlier rows: a row's repeats
 * stop before the first later row that resets (EVID 3, EVID 4, SS = 1). Repeats at that row's time go too (the
 * reset would erase them anyway); the cut is on the repeat's nominal time, before any lag of its input.
 *
 * Each event also records the row whose covariate values hold at its time: its own row for the dose as written,
 * and for an added dose the subject's last row at or before that time (rows are in time order, so a binary
 * search finds it) — the same carried-forward rule as everywhere else.
 */
import { DoseKind } from '../../stdlib/dose-events.js';
import { RowKind, type RowTable } from './row-table.js';

const ssKind = [DoseKind.dose, DoseKind.steadyState, DoseKind.steadyStateAdded] as const;

/** The dose events of one subject, in time order; reused from subject to subject. */
export class DoseEvents {
  length = 0;
  time = new Float64Array(16);
  /** Row-table index of the dose row that gave the event. */
  source = new Int32Array(16);
  /** Row-table index of the row whose covariates hold at the event's time. */
  covariateRow = new Int32Array(16);
  /** `DoseKind` of each event. */
  kind = new Uint8Array(16);
  private order = new Int32Array(16);
  private scratchTime = new Float64Array(16);
  private scratchSource = new Int32Array(16);
  private scratchCovariateRow = new Int32Array(16);
  private scratchKind = new Uint8Array(16);

  /** Collects the dose events of rows [start, end) of `table`. */
  collect(table: RowTable, start: number, end: number): void {
    this.length = 0;
    let expanded = false;
    let next = start;
    for (let r = start; r < end; r++) {
      const t = table.time[r]!;
      if (table.kind[r] === RowKind.reset) this.push(t, r, r, DoseKind.reset);
      if (table.kind[r] !== RowKind.dose) continue;
      if (table.reset[r]) this.push(t, r, r, DoseKind.reset);
      this.push(t, r, r, ssKind[table.ss[r]!]!);
      if (next <= r) next = nextResetRow(table, r + 1, end);
      const addl = repeatsGiven(table, r, next < end ? table.time[next]! : Infinity);
      const ii = table.ii[r]!;
      for (let k = 1; k <= addl; k++) {
        const tk = t + k * ii;
        this.push(tk, r, lastRowAtOrBefore(table, r, end, tk), DoseKind.dose);
        expanded = true;
      }
    }
    if (expanded) this.sortByTime();
  }

  private push(time: number, source: number, covariateRow: number, kind: number): void {
    if (this.length === this.time.length) this.grow(this.length * 2);
    this.time[this.length] = time;
    this.source[this.length] = source;
    this.covariateRow[this.length] = covariateRow;
    this.kind[this.length] = kind;
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
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    this.scratchKind = new Uint8Array(n);
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
      this.scratchKind[i] = this.kind[j]!;
    }
    this.time.set(this.scratchTime.subarray(0, n));
    this.source.set(this.scratchSource.subarray(0, n));
    this.covariateRow.set(this.scratchCovariateRow.subarray(0, n));
    this.kind.set(this.scratchKind.subarray(0, n));
  }
}

/** Number of dose events rows [start, end) give, counting ADDL repeats, and resets unless `withResets` is false. */
export function doseEventCount(table: RowTable, start: number, end: number, withResets = true): number {
  const resets = withResets ? 1 : 0;
  let n = 0;
  let next = start;
  for (let r = start; r < end; r++) {
    if (table.kind[r] === RowKind.reset) n += resets;
    if (table.kind[r] !== RowKind.dose) continue;
    if (next <= r) next = nextResetRow(table, r + 1, end);
    n += 1 + repeatsGiven(table, r, next < end ? table.time[next]! : Infinity) + resets * table.reset[r]!;
  }
  return n;
}

/** A row that resets the state: EVID 3, EVID 4, or a dose with SS = 1. */
function resets(table: RowTable, r: number): boolean {
  const kind = table.kind[r];
  return kind === RowKind.reset || (kind === RowKind.dose && (table.reset[r] === 1 || table.ss[r] === 1));
}

/** The first row in [from, end) that resets, or `end`. */
function nextResetRow(table: RowTable, from: number, end: number): number {
  let r = from;
  while (r < end && !resets(table, r)) r++;
  return r;
}

/** How many of row r's ADDL repeats are given: those before `cutoff`, the time of the next row that resets. */
function repeatsGiven(table: RowTable, r: number, cutoff: number): number {
  const addl = table.addl[r]!;
  if (cutoff === Infinity) return addl;
  const t = table.time[r]!;
  const ii = table.ii[r]!;
  let k = 0;
  while (k < addl && t + (k + 1) * ii < cutoff) k++;
  return k;
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
