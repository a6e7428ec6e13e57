/**
 * The data rows that were read, column by column in typed arrays (one array per quantity, not one object per
 * row or cell): two million rows then cost a few hundred bytes each and no garbage, and later passes scan
 * contiguous memory. Subjects are contiguous ranges of rows (the reader enforces it).
 */

/** What a row is, decided once by `event-rows.ts` and counted in the summary (a reset row, EVID 3, as other). */
export const RowKind = { observation: 0, dose: 1, missingDv: 2, other: 3, rejected: 4, reset: 5 } as const;

export class RowTable {
  length = 0;
  /** File row (header = 1) of each stored row. */
  row: Int32Array;
  subject: Int32Array;
  kind: Uint8Array;
  time: Float64Array;
  /** Observations: DV, output index, CENS (-1, 0, 1) and LIMIT (NaN when none). */
  dv: Float64Array;
  output: Int32Array;
  cens: Float64Array;
  limit: Float64Array;
  /** Doses: AMT, input index, RATE (0 none, > 0 rate, -1 model rate, -2 model duration), II, ADDL. */
  amt: Float64Array;
  input: Int32Array;
  rate: Float64Array;
  ii: Float64Array;
  addl: Float64Array;
  /** Doses: SS (0 none, 1 steady state, 2 steady state added); 1 on a dose that resets first (EVID 4). */
  ss: Uint8Array;
  reset: Uint8Array;
  /** One array per covariate: the value on the row, NaN when missing (filled in later by `covariates.ts`). */
  covariates: Float64Array[];
  /** One array per covariate: 1 where the row gives the value (the nodes of a linearly interpolated covariate). */
  covariateGiven: Uint8Array[];

  /** Subjects: the ID as written, and the first stored row of each (plus a final end marker after `finish`). */
  readonly ids: string[] = [];
  readonly subjectStart: number[] = [];

  constructor(capacity: number, covariateCount: number) {
    const n = Math.max(16, capacity);
    this.row = new Int32Array(n);
    this.subject = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.time = new Float64Array(n);
    this.dv = new Float64Array(n);
    this.output = new Int32Array(n);
    this.cens = new Float64Array(n);
    this.limit = new Float64Array(n);
    this.amt = new Float64Array(n);
    this.input = new Int32Array(n);
    this.rate = new Float64Array(n);
    this.ii = new Float64Array(n);
    this.addl = new Float64Array(n);
    this.ss = new Uint8Array(n);
    this.reset = new Uint8Array(n);
    this.covariates = Array.from({ length: covariateCount }, () => new Float64Array(n));
    this.covariateGiven = Array.from({ length: covariateCount }, () => new Uint8Array(n));
  }

  get subjectCount(): number {
    return this.ids.length;
  }

  /** Rows [subjectStart[s], subjectEnd(s)) belong to subject s. */
  subjectEnd(s: number): number {
    return s + 1 < this.subjectStart.length ? this.subjectStart[s + 1]! : this.length;
  }

  /** Makes room for one more row and returns its index; the caller sets every field. */
  append(): number {
    if (this.length === this.row.length) this.grow();
    return this.length++;
  }

  private grow(): void {
    const n = this.row.length * 2;
    const wider = <T extends Int32Array | Uint8Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.row = wider(this.row);
    this.subject = wider(this.subject);
    this.kind = wider(this.kind);
    this.time = wider(this.time);
    this.dv = wider(this.dv);
    this.output = wider(this.output);
    this.cens = wider(this.cens);
    this.limit = wider(this.limit);
    this.amt = wider(this.amt);
    this.input = wider(this.input);
    this.rate = wider(this.rate);
    this.ii = wider(this.ii);
    this.addl = wider(this.addl);
    this.ss = wider(this.ss);
    this.reset = wider(this.reset);
    this.covariates = this.covariates.map(wider);
    this.covariateGiven = this.covariateGiven.map(wider);
  }
}
