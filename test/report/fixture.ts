/**
 * The report tests' own data and fits: a one-compartment IV bolus with a weight effect on clearance and
 * proportional error, simulated by the tests' generator from the closed form (nothing of nlmc simulates it),
 * then fitted briefly in-process with `nlmc fit`'s command function.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { generator } from '../evaluate/generator.js';

export const truth = { CL: 3, V: 20, beta_WT: 0.75, omega_CL: 0.3, omega_V: 0.2, b: 0.15 };
export const times = [0.5, 1, 2, 4, 8, 16];
export const DOSE = 100;

/** The closed form: C(t) = D/V · exp(−CL/V · t). */
export const concentration = (CL: number, V: number, t: number): number => (DOSE / V) * Math.exp((-CL / V) * t);

/** `subjects` subjects with WT ~ U(50, 90) kg; CL_i = CL·(WT/70)^β·e^η. Returns the CSV text and each subject's WT. */
export function simulatedCsv(subjects: number, seed: number): { csv: string; weights: number[] } {
  const g = generator(seed);
  const lines = ['ID,TIME,DV,AMT,EVID,MDV,CMT,WT'];
  const weights: number[] = [];
  for (let id = 1; id <= subjects; id++) {
    const WT = Math.round(50 + 40 * g.uniform());
    weights.push(WT);
    const CL = truth.CL * (WT / 70) ** truth.beta_WT * Math.exp(truth.omega_CL * g.normal());
    const V = truth.V * Math.exp(truth.omega_V * g.normal());
    lines.push(`${id},0,.,${DOSE},1,1,1,${WT}`);
    for (const t of times) lines.push(`${id},${t},${(concentration(CL, V, t) * (1 + truth.b * g.normal())).toPrecision(7)},0,0,0,1,${WT}`);
  }
  return { csv: `${lines.join('\n')}\n`, weights };
}

export const model = (name: string, sd: string) => `model ${name}

covariates {
  WT "kg"
}

parameters {
  CL = 2.5  lognormal(omega = 0.2)  effect(beta_WT * log(WT / 70))
  beta_WT = 0.5
  V  = 18   lognormal(omega = 0.2)
}

states {
  central
}

dosing {
  input bolus -> central
}

ode {
  d/dt central = -CL / V * central
}

observe {
  conc ~ normal(central / V, sd = ${sd})
}
`;

export function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

/** Writes `<name>.nlm` into `dir` and fits it to `<dir>/data.csv` into `<dir>/<name>.fit`. */
export async function fitModel(dir: string, name: string, sd: string, extra: Partial<FitArgs> = {}): Promise<string> {
  writeFileSync(join(dir, `${name}.nlm`), model(name, sd));
  const out = join(dir, `${name}.fit`);
  const args: FitArgs = {
    model: join(dir, `${name}.nlm`), data: join(dir, 'data.csv'), out, backend: 'cpu', seed: 1, epochs: 60, samples: 8, learningRate: 0.05, validation: 0, patience: 100,
    resume: false, progress: 'quiet', map: {}, color: false, uncertainty: true, ...extra,
  };
  const { io, out: text } = capture();
  const rc = await runFit(args, io, () => false);
  if (rc !== 0) throw new Error(`fit ${name}: ${text.stderr}`);
  return out;
}
