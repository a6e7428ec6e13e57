/**
 * The dosing conformance corpus: a model shape (one, so WebGPU compiles one kernel), and per shape a table of cases — each a subject's NONMEM records
 * and the parameters it runs at. The expected values come from closed-form.ts, which reads the same records by its
 * own rules; nothing here is computed by nlmc.
 */
import { twoCompartmentModes, type DataRow, type InputRule } from './closed-form.js';

export interface Shape {
  readonly name: string;
  readonly source: string;
  /** The input rules by CMT, at the natural-scale parameters p (in the model's parameter order). */
  readonly inputs: (p: readonly number[]) => ReadonlyMap<number, InputRule>;
  /** Parameter values the cases run at, unless a case gives its own. */
  readonly p: readonly number[];
  /** The residual sd of the observations (the model's `error` block). */
  readonly sd: number;
  readonly cases: readonly Case[];
}

export interface Case {
  readonly name: string;
  /** The subject's records in data order (times non-decreasing). */
  readonly rows: readonly DataRow[];
  readonly p?: readonly number[];
}

const obs = (...times: number[]): DataRow[] => times.map((time) => ({ time, evid: 0, dv: 1 }));
const byTime = (rows: DataRow[]): DataRow[] => rows.map((r, i) => [r, i] as const).sort((a, b) => a[0].time - b[0].time || a[1] - b[1]).map(([r]) => r);

/**
 * One model for every case, so the WebGPU back end compiles one kernel (most of this file's time on lavapipe):
 * two compartments with a depot, and six inputs — oral into the depot with lag and bioavailability (CMT 1); IV
 * into the central compartment taking boluses and RATE > 0 (CMT 2), one whose duration the model gives (CMT 3,
 * RATE = −2 or 0), one whose rate it gives (CMT 4, RATE = −1), an infusion with lag and bioavailability (CMT 5);
 * and a plain oral input into the depot (CMT 6). The observation may be censored. Parameters: ka, CL, V1, Q, V2,
 * tlag, F, D, R; elimination is fast enough (β ≈ 0.12 /h) that steady states converge in a few tens of periods.
 */
const twoCompartments: Shape = {
  name: 'two compartments, a depot and six inputs',
  source: `model conformance
parameters {
  ka = 1.2 lognormal
  CL = 4 lognormal
  V1 = 10 lognormal
  Q = 2 lognormal
  V2 = 10 lognormal
  tlag = 0.4 lognormal
  F = 0.7 logitnormal
  D = 2.5 lognormal
  R = 30 lognormal
}
states { depot  central  periph }
dosing {
  input oral -> depot lag(tlag) bioavailability(F)
  input iv -> central infusion
  input ivd -> central duration(D) cmt(3)
  input ivr -> central rate(R) cmt(4)
  input ivf -> central infusion lag(tlag) bioavailability(F) cmt(5)
  input po -> depot cmt(6)
}
ode {
  d/dt depot = -ka * depot
  d/dt central = ka * depot - (CL + Q) / V1 * central + Q / V2 * periph
  d/dt periph = Q / V1 * central - Q / V2 * periph
}
observe { conc ~ normal(central / V1, sd = sigma) censored(left) }
error { sigma = 0.5 }
`,
  p: [1.2, 4, 10, 2, 10, 0.4, 0.7, 2.5, 30],
  sd: 0.5,
  inputs: ([ka, CL, V1, Q, V2, tlag, F, D, R]) => {
    const modes = twoCompartmentModes(ka!, CL!, V1!, Q!, V2!);
    const iv = modes.central;
    return new Map<number, InputRule>([
      [1, { modes: modes.depot, lag: tlag!, F: F! }],
      [2, { modes: iv }],
      [3, { modes: iv, duration: D! }],
      [4, { modes: iv, rate: R! }],
      [5, { modes: iv, lag: tlag!, F: F! }],
      [6, { modes: modes.depot }],
    ]);
  },
  cases: [
    { name: 'IV bolus (biexponential)', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2 }, ...obs(0.25, 0.5, 1, 4, 12, 24, 48)]) },
    { name: 'IV bolus, ADDL = 3 every II = 6', rows: byTime([{ time: 0, evid: 1, amt: 50, cmt: 2, addl: 3, ii: 6 }, ...obs(1, 5.5, 7, 13, 19, 20, 30)]) },
    { name: 'infusion by rate (RATE = 40 over 2.5 h), repeated by ADDL', rows: byTime([{ time: 0, evid: 1, amt: 100, rate: 40, cmt: 2, addl: 1, ii: 12 }, ...obs(1, 2.5, 4, 12, 13, 24)]) },
    { name: 'infusion by duration (RATE = −2, D from the model)', rows: byTime([{ time: 1, evid: 1, amt: 80, rate: -2, cmt: 3 }, ...obs(0.5, 2, 3, 4, 6, 10)]) },
    { name: 'infusion by duration (RATE = 0 on a duration input)', rows: byTime([{ time: 0, evid: 1, amt: 80, cmt: 3 }, { time: 8, evid: 1, amt: 40, cmt: 3 }, ...obs(1, 2, 3, 9, 11, 16)]) },
    { name: 'infusion by modelled rate (RATE = −1, R from the model)', rows: byTime([{ time: 0, evid: 1, amt: 90, rate: -1, cmt: 4 }, ...obs(1, 2, 3, 5, 8)]) },
    { name: 'infusion with lag and bioavailability (RATE = 40: the duration is F·AMT/RATE)', rows: byTime([{ time: 0, evid: 1, amt: 100, rate: 40, cmt: 5 }, ...obs(0.2, 1, 2, 3, 6)]) },
    { name: 'oral (triexponential): lag and bioavailability', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 1 }, ...obs(0.2, 0.6, 1, 2, 6, 12)]) },
    { name: 'oral without lag (triexponential)', rows: byTime([{ time: 0, evid: 1, amt: 200, cmt: 6 }, ...obs(0.25, 1, 4, 12, 48)]) },
    { name: 'oral, ADDL = 2 every 8 h, a lagged dose between observations', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 1, addl: 2, ii: 8 }, ...obs(1, 8.2, 8.5, 9, 16.1, 20, 30)]) },
    { name: 'oral and IV into two compartments at one time', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 1 }, { time: 0, evid: 1, amt: 30, cmt: 2 }, ...obs(0.5, 1, 3, 8)]) },
    { name: 'infusion, then oral ADDL into the depot', rows: byTime([{ time: 0, evid: 1, amt: 100, rate: 25, cmt: 2 }, { time: 6, evid: 1, amt: 100, cmt: 6, addl: 2, ii: 12 }, ...obs(2, 4, 6, 9, 20, 40)]) },
    {
      name: 'dose and observation at one time, observation record first (pre-dose, as NONMEM)',
      rows: [{ time: 0, evid: 1, amt: 100, cmt: 2 }, ...obs(2), { time: 4, evid: 0, dv: 1 }, { time: 4, evid: 1, amt: 100, cmt: 2 }, ...obs(6)],
    },
    {
      name: 'dose and observation at one time, dose record first (post-dose, as NONMEM)',
      rows: [{ time: 0, evid: 1, amt: 100, cmt: 2 }, { time: 0, evid: 0, dv: 1 }, ...obs(2), { time: 4, evid: 1, amt: 100, cmt: 2 }, { time: 4, evid: 0, dv: 1 }, ...obs(6)],
    },
    {
      name: 'observations before and after IV and oral boluses at t = 0 (the first sees nothing, the second the IV dose, as NONMEM)',
      rows: [{ time: 0, evid: 0, dv: 1 }, { time: 0, evid: 1, amt: 100, cmt: 1 }, { time: 0, evid: 1, amt: 30, cmt: 2 }, { time: 0, evid: 0, dv: 2 }, ...obs(0.5, 3)],
    },
    {
      name: 'observations before and after an SS = 1 dose at its time (after: the steady state and the dose, as NONMEM)',
      rows: [{ time: 0, evid: 1, amt: 500, cmt: 2 }, ...obs(5), { time: 10, evid: 0, dv: 1 }, { time: 10, evid: 1, amt: 100, cmt: 2, ss: 1, ii: 12 }, { time: 10, evid: 0, dv: 2 }, ...obs(11)],
    },
    {
      name: 'observations before and after a reset (EVID 3) and a reset and dose (EVID 4) at their times (after: the reset state, as NONMEM)',
      rows: [
        { time: 0, evid: 1, amt: 100, cmt: 2 }, ...obs(2), { time: 5, evid: 0, dv: 1 }, { time: 5, evid: 3 }, { time: 5, evid: 0, dv: 2 }, ...obs(6),
        { time: 7, evid: 1, amt: 40, cmt: 6 }, { time: 8, evid: 0, dv: 1 }, { time: 8, evid: 4, amt: 30, cmt: 2 }, { time: 8, evid: 0, dv: 2 }, ...obs(9),
      ],
    },
    { name: 'steady state SS = 1 (bolus every 12 h), then ADDL = 1', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2, ss: 1, ii: 12, addl: 1 }, ...obs(1, 6, 11.9, 13, 30)]) },
    { name: 'steady state SS = 1 of an infusion (RATE = 50, every 8 h)', rows: byTime([{ time: 0, evid: 1, amt: 100, rate: 50, cmt: 2, ss: 1, ii: 8 }, ...obs(0.5, 2, 4, 7.9, 12)]) },
    { name: 'steady state SS = 1 of oral doses every 12 h', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 6, ss: 1, ii: 12 }, ...obs(0.5, 2, 6, 11.5)]) },
    { name: 'steady state SS = 1 of oral doses every 12 h, with lag (nlmc: the state replaced at record time + lag; NONMEM: at record time, at phase II − ALAG of the cycle)', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 1, ss: 1, ii: 12 }, ...obs(0.2, 0.5, 2, 6, 11.5)]) },
    { name: 'SS = 1 discards an earlier dose', rows: byTime([{ time: 0, evid: 1, amt: 500, cmt: 2 }, { time: 10, evid: 1, amt: 100, cmt: 2, ss: 1, ii: 12 }, ...obs(5, 10, 11, 20)]) },
    { name: 'SS = 1 ends a running infusion', rows: byTime([{ time: 0, evid: 1, amt: 100, rate: 10, cmt: 2 }, ...obs(2, 4), { time: 4, evid: 1, amt: 50, cmt: 2, ss: 1, ii: 12 }, ...obs(5, 9, 12)]) },
    { name: 'SS = 1 cancels the pending ADDL doses of an earlier record (as NONMEM)', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2, addl: 3, ii: 6 }, ...obs(2, 10), { time: 10, evid: 1, amt: 50, cmt: 2, ss: 1, ii: 24 }, ...obs(11, 13, 19, 30)]) },
    { name: 'steady state SS = 2 added to an earlier dose', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2 }, { time: 6, evid: 1, amt: 60, cmt: 2, ss: 2, ii: 24 }, ...obs(3, 6, 7, 12, 30)]) },
    { name: 'reset (EVID 3), then a dose', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2 }, ...obs(2, 5), { time: 5, evid: 3 }, ...obs(6), { time: 7, evid: 1, amt: 20, cmt: 2 }, ...obs(8)]) },
    {
      name: 'EVID 3 and EVID 4 cancel the pending ADDL doses of earlier records (as NONMEM)',
      rows: byTime([
        { time: 0, evid: 1, amt: 100, cmt: 2, addl: 3, ii: 4 }, ...obs(5), { time: 6, evid: 3 }, ...obs(7, 9, 13),
        { time: 14, evid: 1, amt: 50, cmt: 2, addl: 2, ii: 4 }, ...obs(19), { time: 20, evid: 4, amt: 30, cmt: 2 }, ...obs(21, 23, 26),
      ]),
    },
    { name: 'reset and dose (EVID 4) during an infusion', rows: byTime([{ time: 0, evid: 1, amt: 100, rate: 10, cmt: 2 }, ...obs(2, 4), { time: 4, evid: 4, amt: 50, cmt: 2 }, ...obs(5, 9, 12)]) },
    {
      name: 'censored rows: below the LLOQ (M3) and between LIMIT and DV',
      rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2 }, { time: 1, evid: 0, dv: 6 }, { time: 6, evid: 0, dv: 1.5 }, { time: 12, evid: 0, dv: 0.3, cens: 1 }, { time: 18, evid: 0, dv: 0.3, cens: 1, limit: 0.05 }, { time: 30, evid: 0, dv: 0.1, cens: 1 }]),
    },
    { name: 'a prediction far above its LLOQ (log Φ deep in the tail)', rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 2 }, { time: 1, evid: 0, dv: 0.3, cens: 1 }, { time: 4, evid: 0, dv: 2.5 }]) },
    {
      name: 'other parameters: fast distribution, slow absorption',
      p: [0.3, 1, 5, 20, 8, 0.4, 0.7, 2.5, 30],
      rows: byTime([{ time: 0, evid: 1, amt: 100, cmt: 6 }, { time: 2, evid: 1, amt: 50, rate: 20, cmt: 2 }, ...obs(0.5, 1.5, 3, 5, 10, 24)]),
    },
  ],
};

export const shapes: readonly Shape[] = [twoCompartments];

/** The records of one shape as a CSV, one subject per case (ID = case position + 1). */
export function shapeCsv(shape: Shape): string {
  const columns = ['ID', 'TIME', 'EVID', 'AMT', 'RATE', 'CMT', 'ADDL', 'II', 'SS', 'DV', 'CENS', 'LIMIT'] as const;
  const field = (v: number | undefined): string => (v === undefined ? '.' : String(v));
  const lines = shape.cases.flatMap((c, i) =>
    c.rows.map((r) => [i + 1, r.time, r.evid, r.amt, r.rate, r.cmt, r.addl, r.ii, r.ss, r.dv, r.cens, r.limit].map(field).join(',')),
  );
  return `${columns.join(',')}\n${lines.join('\n')}\n`;
}
