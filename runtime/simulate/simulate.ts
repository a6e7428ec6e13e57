/**
 * Simulating data from a model with known values: for each subject draw η ~ N(0, Ω), compute the individual
 * parameters p = g(φ, η, c), solve on the f64 CPU back end, and add residual error on each output's scale,
 * y = f + sd(f, e)·ε, returned on the data's scale (the inverse of a declared data transform).
 */
import { correlationName, type ModelIR } from '../../compiler/ir/model-ir.js';
import { toEstimationScale } from '../../compiler/lower/lower.js';
import { chooseMethod, type MethodChoice } from '../engine/choose-method.js';
import { createCpuEngine } from '../engine/cpu/cpu-engine.js';
import { packSubjects, type EngineSubject } from '../engine/engine-data.js';
import type { PreparedModel } from '../engine/prepared-model.js';
import { TrajectoryStatus, statusMessage } from '../engine/trajectory-status.js';
import { drawEffects, effectsPrior, partialCorrelations, type EffectsPrior } from '../../stdlib/effects-prior.js';
import type { Random } from '../nn/random.js';

/** A subject to simulate: where it is observed, how it is dosed, its covariates. Values are ignored. */
export interface SimulationSubject {
  readonly id: string;
  readonly obsTimes: readonly number[];
  readonly obsOutputs: readonly number[];
  readonly doses: EngineSubject['doses'];
  readonly covariates: readonly number[];
  /** Where covariates change within the subject (from a template dataset): its change points, as the engines read them. */
  readonly covariatePoints?: EngineSubject['covariatePoints'];
}

export interface TrueValues {
  /** Natural-scale population value of each parameter, in IR order. */
  readonly parameters: Float64Array;
  /** ω of each random effect. */
  readonly omegas: Float64Array;
  /** The correlation of each correlated pair (the model's `correlation(a, b)`, in IR order). */
  readonly correlations: Float64Array;
  readonly errorParameters: Float64Array;
}

export interface SimulatedSubject {
  readonly subject: SimulationSubject;
  readonly eta: Float64Array;
  /** Individual parameters (natural scale). */
  readonly p: Float64Array;
  /** Simulated DV per observation, on the data's scale. */
  readonly dv: Float64Array;
}

export function modelValues(ir: ModelIR): TrueValues {
  return {
    parameters: Float64Array.from(ir.parameters.map((p) => p.initial)),
    omegas: Float64Array.from(ir.randomEffects.map((r) => r.omegaInitial)),
    correlations: Float64Array.from(ir.correlations.map((c) => c.initial)),
    errorParameters: Float64Array.from(ir.errorParameters.map((e) => e.initial)),
  };
}

/**
 * Overrides from a JSON object: a parameter's or error parameter's name sets its value, `omega_<parameter>` its
 * ω, `corr_<a>_<b>` a correlation. Unknown names are errors (a typo must not silently simulate the default); a
 * block whose correlations are no longer a correlation matrix is refused when drawn.
 */
export function applyOverrides(ir: ModelIR, base: TrueValues, overrides: Record<string, unknown>): { values?: TrueValues; errors: string[] } {
  const values = {
    parameters: Float64Array.from(base.parameters), omegas: Float64Array.from(base.omegas), correlations: Float64Array.from(base.correlations), errorParameters: Float64Array.from(base.errorParameters),
  };
  const errors: string[] = [];
  for (const [key, v] of Object.entries(overrides)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      errors.push(`"${key}": expected a number`);
      continue;
    }
    const k = ir.parameters.findIndex((p) => p.name === key && !p.occasion);
    const e = ir.errorParameters.findIndex((p) => p.name === key);
    const r = ir.randomEffects.findIndex((x) => x.omegaName === key);
    const c = ir.correlations.findIndex((x) => correlationName(ir, x) === key);
    if (k >= 0) values.parameters[k] = v;
    else if (e >= 0) values.errorParameters[e] = v;
    else if (r >= 0) ir.randomEffects.forEach((x, j) => { if (j === r || x.sharesOmegaWith === r) values.omegas[j] = v; });
    else if (c >= 0 && Math.abs(v) < 1) values.correlations[c] = v;
    else if (c >= 0) errors.push(`"${key}": a correlation lies strictly between -1 and 1, found ${v}`);
    else {
      const known = [...ir.parameters.filter((p) => !p.occasion).map((p) => p.name), ...ir.errorParameters.map((x) => x.name), ...ir.randomEffects.filter((x) => x.sharesOmegaWith === undefined).map((x) => x.omegaName), ...ir.correlations.map((x) => correlationName(ir, x))];
      errors.push(`"${key}" is not a parameter of the model: expected one of ${known.join(', ')}`);
    }
  }
  return errors.length > 0 ? { errors } : { values, errors };
}

/** N(0, Ω) of the true values; throws when a block's correlations do not form a correlation matrix. */
export function truePrior(ir: ModelIR, values: TrueValues): EffectsPrior {
  const neta = ir.randomEffects.length;
  const R = new Float64Array(neta * neta);
  for (let r = 0; r < neta; r++) R[r * neta + r] = 1;
  ir.correlations.forEach((c, k) => (R[c.first * neta + c.second] = R[c.second * neta + c.first] = values.correlations[k]!));
  const cpc = partialCorrelations(neta, ir.correlations, R);
  if (!cpc.every((x) => Math.abs(x) < 1)) throw new Error(`the correlations ${ir.correlations.map((c, k) => `${correlationName(ir, c)} = ${values.correlations[k]}`).join(', ')} do not form a valid correlation matrix (not positive definite)`);
  return effectsPrior(values.omegas, ir.correlations, cpc);
}

const inverse = { log: Math.exp, log10: (v: number) => Math.pow(10, v), logit: (v: number) => 1 / (1 + Math.exp(-v)) } as const;

/** Simulates every subject; throws an Error naming the subject when a trajectory fails. */
export interface SimulationOptions {
  /** The integration method; 'auto' (default) runs the stiffness test of runtime/engine/choose-method.ts on the subjects' own parameters. */
  readonly method?: MethodChoice;
  /** Told the method and why (one line). */
  readonly onMethod?: (reason: string) => void;
}

export async function simulateSubjects(ir: ModelIR, model: PreparedModel, subjects: readonly SimulationSubject[], values: TrueValues, random: Random, options: SimulationOptions = {}): Promise<SimulatedSubject[]> {
  const { np, neta, ne } = model.dims;
  const ts = model.ts;
  const phi = Float64Array.from(ir.parameters.map((p, k) => toEstimationScale(p.transform, values.parameters[k]!)));
  const prior = truePrior(ir, values);
  const etas = subjects.map(() => {
    const eta = new Float64Array(neta);
    drawEffects(prior, Float64Array.from({ length: neta }, () => random.normal()), 0, eta, 0);
    return eta;
  });
  const ps = subjects.map((s, i) => {
    const p = new Float64Array(np);
    ts.individual(phi, etas[i]!, Float64Array.from(s.covariates), p);
    return p;
  });
  const data = packSubjects(subjects.map((s) => ({ obsTimes: s.obsTimes, obsValues: s.obsTimes.map(() => 0), obsOutputs: s.obsOutputs, doses: s.doses, covariates: s.covariates, ...(s.covariatePoints ? { covariatePoints: s.covariatePoints } : {}) })), ir.covariates.length);
  const rows = { subject: Int32Array.from(subjects.map((_, i) => i)), p: new Float64Array(subjects.length * np) };
  ps.forEach((p, i) => rows.p.set(p, i * np));
  const decision = await chooseMethod(model, data, rows, options.method ?? 'auto');
  options.onMethod?.(decision.reason);
  const engine = createCpuEngine(model, data, { rtol: 1e-10, atol: 1e-12, maxSteps: 1_000_000, method: decision.method });
  const result = await engine.simulate(rows);
  const e = values.errorParameters.subarray(0, ne);
  const sd = [0];
  return subjects.map((s, i) => {
    if (result.status[i] !== TrajectoryStatus.Ok) {
      throw new Error(`subject ${s.id}: ${statusMessage(result.status[i]!, 1_000_000)} (individual parameters ${ir.parameters.map((q, k) => `${q.name} = ${ps[i]![k]!.toPrecision(4)}`).join(', ')})`);
    }
    // The packed data sorted each subject's observations by time (stably): walk them in that order.
    const order = s.obsTimes.map((_, j) => j).sort((a, b) => s.obsTimes[a]! - s.obsTimes[b]! || a - b);
    const dv = new Float64Array(s.obsTimes.length);
    order.forEach((j, slot) => {
      const f = result.predictions[i * data.maxObs + slot]!;
      const o = s.obsOutputs[j]!;
      ts.errorSd(o, f, e, sd);
      const y = f + sd[0]! * random.normal();
      const transform = ir.outputs[o]!.dataTransform;
      dv[j] = transform ? inverse[transform](y) : y;
    });
    return { subject: s, eta: etas[i]!, p: ps[i]!, dv };
  });
}
