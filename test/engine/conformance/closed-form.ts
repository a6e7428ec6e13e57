/**
 * The oracle of the dosing conformance corpus, written without nlmc: NONMEM-style event records read by their own
 * rules, on linear compartment models solved in closed form.
 *
 * A linear model's response to a unit bolus of one input, seen in the observed concentration, is a sum of
 * exponential modes Σ c·e^(−λ s) (s = time since the dose). Every dose is then a superposition of shifted copies:
 * a bolus A gives A·Σ c e^(−λ s); a zero-order input at rate R for a duration D gives Σ (c R/λ)(e^(−λ max(0, s − D)) −
 * e^(−λ s)); a lag shifts s, bioavailability F scales the amount; ADDL/II adds copies every II; a steady state is
 * the infinite train of earlier copies (summed until the terms vanish); a reset (EVID 3/4, or an SS = 1 dose)
 * forgets every earlier event, and cancels the ADDL copies of earlier records due at or after it (NONMEM's SS data
 * item: "infusions in progress or pending additional doses are cancelled"; a reset re-initializes the system).
 *
 * Records are read in data order, as NONMEM does: an observation record sees the events of the records before it at
 * its time (a bolus given, a state reset or replaced by a steady state) and not those of the records after it; the
 * additional doses of ADDL are no records, and one due at an observation's time is not yet given.
 *
 * Where nlmc documents a rule that differs from NONMEM's, the oracle follows nlmc (docs/language.md,
 * stdlib/dose-events.ts), and the case's name says so:
 * - a steady-state dose with a lag replaces the state at record time + lag, so observations between the record and
 *   the lagged dose see the earlier history (NONMEM's steady state is in place at the record's time, advanced to
 *   phase II − ALAG of the cycle);
 */

/** One exponential mode of a unit-dose response: c·e^(−λ s). */
export interface Mode {
  readonly c: number;
  readonly lambda: number;
}

/** How the doses of one input (a CMT value) act. */
export interface InputRule {
  readonly modes: readonly Mode[];
  readonly lag?: number;
  readonly F?: number;
  /** The model's duration (RATE = −2, or RATE = 0 on a `duration(...)` input). */
  readonly duration?: number;
  /** The model's rate (RATE = −1, or RATE = 0 on a `rate(...)` input). */
  readonly rate?: number;
}

/** A data record, NONMEM style (what the CSV row says). */
export interface DataRow {
  readonly time: number;
  readonly evid: 0 | 1 | 3 | 4;
  readonly amt?: number;
  readonly rate?: number;
  readonly cmt?: number;
  readonly addl?: number;
  readonly ii?: number;
  readonly ss?: 0 | 1 | 2;
  readonly dv?: number;
  /** 1: the value is below DV (LLOQ); with `limit`, between LIMIT and DV. */
  readonly cens?: 0 | 1;
  readonly limit?: number;
}

/** A dose after ADDL expansion, at its effective time (record time + lag). */
interface Dose {
  readonly at: number;
  readonly amount: number;
  readonly rate: number;
  readonly duration: number;
  readonly modes: readonly Mode[];
  /** The steady state's interval when the record has SS > 0 (its earlier copies act too). */
  readonly ii: number;
  /** The record's own dose at the record's time (not an ADDL copy, not lagged): the one an observation after it sees. */
  readonly recordTime?: number;
  /** The record's position in the data. */
  readonly record: number;
}

/** One mode of a dose at s after it; at s = 0 the bolus counts when the dose has been given (`given`), else not yet. */
function modeResponse(m: Mode, d: Dose, s: number, given: boolean): number {
  if (s < 0 || (s === 0 && !given)) return 0;
  if (d.duration === 0) return d.amount * m.c * Math.exp(-m.lambda * s);
  return ((m.c * d.rate) / m.lambda) * (Math.exp(-m.lambda * Math.max(0, s - d.duration)) - Math.exp(-m.lambda * s));
}

/** A dose's contribution at time t, with its steady-state train of earlier copies; `given`: a dose at t has been given. */
function doseResponse(d: Dose, t: number, given: boolean): number {
  let total = 0;
  for (const m of d.modes) {
    total += modeResponse(m, d, t - d.at, given);
    // The train acts from the dose's time on: a steady state replaces (SS = 1) or adds to (SS = 2) the state at τ.
    if (d.ii <= 0 || t < d.at || (t === d.at && !given)) continue;
    for (let n = 1; n < 100_000; n++) {
      const term = modeResponse(m, d, t - d.at + n * d.ii, true);
      total += term;
      if (Math.abs(term) < 1e-18 * Math.max(1, Math.abs(total)) && n * d.ii * m.lambda > 40) break;
    }
  }
  return total;
}

/** Rate and duration of one record's dose (duration 0: a bolus), by NONMEM's RATE rules. */
function zeroOrder(rule: InputRule, amount: number, rate: number): { rate: number; duration: number } {
  const modelDuration = rate === -2 || (rate === 0 && rule.duration !== undefined);
  const modelRate = rate === -1 || (rate === 0 && rule.rate !== undefined);
  if (modelDuration) return { rate: amount / rule.duration!, duration: rule.duration! };
  if (modelRate) return { rate: rule.rate!, duration: amount / rule.rate! };
  if (rate > 0) return { rate, duration: amount / rate };
  return { rate: 0, duration: 0 };
}

/** The doses and the resets (EVID 3/4, each with its record's position), from the records. */
function events(rows: readonly DataRow[], inputs: ReadonlyMap<number, InputRule>): { doses: { dose: Dose; replaces: boolean }[]; resets: { at: number; record: number }[] } {
  const doses: { dose: Dose; replaces: boolean }[] = [];
  const resets: { at: number; record: number }[] = [];
  const replacing = (r: DataRow): boolean => r.evid === 3 || r.evid === 4 || (r.evid === 1 && r.ss === 1);
  for (const [i, row] of rows.entries()) {
    if (row.evid === 3 || row.evid === 4) resets.push({ at: row.time, record: i });
    if (row.evid !== 1 && row.evid !== 4) continue;
    const rule = inputs.get(row.cmt!);
    if (!rule) throw new Error(`no input for CMT ${row.cmt}`);
    const amount = row.amt! * (rule.F ?? 1);
    const shape = zeroOrder(rule, amount, row.rate ?? 0);
    const at = row.time + (rule.lag ?? 0);
    const ss = row.ss ?? 0;
    for (let j = 0; j <= (row.addl ?? 0); j++) {
      // An additional dose is cancelled by any later record that resets at or before its nominal time.
      if (j > 0 && rows.slice(i + 1).some((later) => replacing(later) && later.time <= row.time + j * row.ii!)) break;
      const first = j === 0 && ss > 0;
      const own = j === 0 && at === row.time ? { recordTime: row.time } : {};
      doses.push({ dose: { at: at + j * (row.ii ?? 0), amount, ...shape, modes: rule.modes, ii: first ? row.ii! : 0, record: i, ...own }, replaces: first && ss === 1 });
    }
  }
  return { doses, resets };
}

/**
 * The observed concentration at time t as the record at position `record` sees it: after the events of the records
 * before it at t, before the others at t (no record: before every event at t).
 */
export function concentration(rows: readonly DataRow[], inputs: ReadonlyMap<number, InputRule>, t: number, record = -1): number {
  const { doses, resets } = events(rows, inputs);
  /** Whether an event at t of record r has happened for the observing record. */
  const given = (r: number): boolean => r < record && rows[r]!.time === t;
  const happened = (at: number, r: number, own: boolean): boolean => at < t || (at === t && own && given(r));
  const replaced = [
    ...resets.filter((r) => happened(r.at, r.record, true)).map((r) => r.at),
    ...doses.filter((d) => d.replaces && happened(d.dose.at, d.dose.record, d.dose.recordTime !== undefined)).map((d) => d.dose.at),
  ];
  const since = replaced.length ? Math.max(...replaced) : -Infinity;
  return doses
    .filter((d) => d.dose.at >= since)
    .reduce((acc, d) => acc + doseResponse(d.dose, t, d.dose.recordTime !== undefined && given(d.dose.record)), 0);
}

/** Φ(z) for z ≥ −3 by the Maclaurin series of erf (no cancellation worth a digit there). */
function normcdfSeries(z: number): number {
  const x = z / Math.SQRT2;
  let term = x;
  let sum = x;
  for (let n = 1; n < 300; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 * (1 + (2 / Math.sqrt(Math.PI)) * sum);
}

/** log Φ(z): the series for z ≥ −3, below that Mills' ratio Φ(z) = φ(z)·R(−z) by its continued fraction. */
export function logPhi(z: number): number {
  if (z >= -3) return Math.log(normcdfSeries(z));
  const x = -z;
  let fraction = x;
  for (let n = 200; n >= 1; n--) fraction = x + n / fraction;
  return -0.5 * Math.log(2 * Math.PI) - 0.5 * x * x - Math.log(fraction);
}

/** log p(DV | f) of one observation record with a constant sd: Gaussian, M3 below DV, or between LIMIT and DV. */
export function logLikelihoodTerm(row: DataRow, f: number, sd: number): number {
  const z = (row.dv! - f) / sd;
  if (!row.cens) return -0.5 * Math.log(2 * Math.PI) - Math.log(sd) - 0.5 * z * z;
  if (row.limit === undefined) return logPhi(z);
  const lower = (row.limit - f) / sd;
  return Math.log(normcdfSeries(z) - normcdfSeries(lower));
}

/**
 * Modes of a two-compartment model (k10 = CL/V1, k12 = Q/V1, k21 = Q/V2) seen in C = central/V1, for a bolus into
 * the central compartment and for one into a depot absorbed at ka: the residues of (s + k21)/((s + α)(s + β)) and
 * of ka(s + k21)/((s + ka)(s + α)(s + β)).
 */
export function twoCompartmentModes(ka: number, CL: number, V1: number, Q: number, V2: number): { central: Mode[]; depot: Mode[] } {
  const k10 = CL / V1;
  const k12 = Q / V1;
  const k21 = Q / V2;
  const sum = k10 + k12 + k21;
  const root = Math.sqrt(sum * sum - 4 * k10 * k21);
  const alpha = (sum + root) / 2;
  const beta = (sum - root) / 2;
  const residues = (poles: number[], gain: number): Mode[] =>
    poles.map((l, i) => ({ lambda: l, c: (gain * (k21 - l)) / (V1 * poles.reduce((acc, m, j) => (j === i ? acc : acc * (m - l)), 1)) }));
  return { central: residues([alpha, beta], 1), depot: residues([ka, alpha, beta], ka) };
}
