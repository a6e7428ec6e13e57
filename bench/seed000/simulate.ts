/**
 * Seed 000's data, from outside nlmc: a one-compartment model with first-order absorption and Michaelis–Menten
 * elimination, integrated by this file's own classical RK4 with a small fixed step, so the benchmark does not
 * check nlmc against its own solver.
 *
 *   dA_d/dt = −ka·A_d,   dA_c/dt = ka·A_d − Vmax·C/(Km + C),   C = A_c / V,   A_d(0) = DOSE, A_c(0) = 0
 *
 * ka, V and Vmax are log-normal per subject (η ~ N(0, ω²) each), Km is common; DV = C·(1 + b·ε) (proportional
 * error). The generator is the tests' own (test/support/seeded-random.ts: mulberry32 + Box–Muller), seeded, not nlmc's.
 */

import { mulberry32, standardNormal } from '../../test/support/seeded-random.js';
export const DOSE = 50;
export const TIMES = [0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24] as const;
/** The forecast protocol's split: observations at t ≤ SPLIT_TIME are given to the encoder, the later ones predicted. */
export const SPLIT_TIME = 8;

export const TRUTH = { ka: 1.0, V: 10, Vmax: 4, Km: 1.5, omega: { ka: 0.3, V: 0.2, Vmax: 0.2 }, b: 0.1 } as const;

export interface SimulatedSubject {
  readonly id: number;
  /** The simulated individual parameters and their η = log(value / typical value). */
  readonly ka: number;
  readonly V: number;
  readonly Vmax: number;
  readonly eta: { readonly ka: number; readonly V: number; readonly Vmax: number };
  /** DV at TIMES. */
  readonly dv: readonly number[];
  /** The noise-free concentration at TIMES. */
  readonly conc: readonly number[];
}

export { mulberry32 };

/** The concentration at each of `times` (ascending), by RK4 with `stepsPerHour` fixed steps per unit of time. */
export function concentrations(p: { ka: number; V: number; Vmax: number; Km: number }, times: readonly number[], stepsPerHour = 200): number[] {
  const rhs = (ad: number, ac: number): [number, number] => {
    const c = ac / p.V;
    return [-p.ka * ad, p.ka * ad - (p.Vmax * c) / (p.Km + c)];
  };
  let [ad, ac] = [DOSE, 0];
  let t = 0;
  const h = 1 / stepsPerHour;
  return times.map((target) => {
    const steps = Math.round((target - t) * stepsPerHour);
    for (let s = 0; s < steps; s++) {
      const [k1d, k1c] = rhs(ad, ac);
      const [k2d, k2c] = rhs(ad + (h / 2) * k1d, ac + (h / 2) * k1c);
      const [k3d, k3c] = rhs(ad + (h / 2) * k2d, ac + (h / 2) * k2c);
      const [k4d, k4c] = rhs(ad + h * k3d, ac + h * k3c);
      ad += (h / 6) * (k1d + 2 * k2d + 2 * k3d + k4d);
      ac += (h / 6) * (k1c + 2 * k2c + 2 * k3c + k4c);
    }
    t = target;
    return ac / p.V;
  });
}

export function simulateSubjects(count: number, seed: number): SimulatedSubject[] {
  const u = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const eta = { ka: TRUTH.omega.ka * standardNormal(u), V: TRUTH.omega.V * standardNormal(u), Vmax: TRUTH.omega.Vmax * standardNormal(u) };
    const p = { ka: TRUTH.ka * Math.exp(eta.ka), V: TRUTH.V * Math.exp(eta.V), Vmax: TRUTH.Vmax * Math.exp(eta.Vmax), Km: TRUTH.Km };
    const conc = concentrations(p, TIMES);
    const dv = conc.map((c) => c * (1 + TRUTH.b * standardNormal(u)));
    return { id: i + 1, ka: p.ka, V: p.V, Vmax: p.Vmax, eta, dv, conc };
  });
}

/** The subjects as a data file (ID, TIME, DV), keeping the observations `keep` selects. */
export function dataCsv(subjects: readonly SimulatedSubject[], keep: (time: number) => boolean = () => true): string {
  const lines = ['ID,TIME,DV'];
  for (const s of subjects) TIMES.forEach((t, j) => keep(t) && lines.push(`${s.id},${t},${s.dv[j]!.toPrecision(8)}`));
  return `${lines.join('\n')}\n`;
}
