/**
 * The maximum-likelihood finish holds a model's network weights (runtime/uq/neural-held.ts). Holding them must
 * leave the other entries' objective untouched: on the same draws, the held problem's log-likelihood, gradient and
 * observed information over the other entries (φ, log ω, log σ — with ω's entry index moved past the removed
 * weights) equal the full problem's value, gradient entries and information sub-block; and the expanded result's
 * information keeps that block, decoupled from the weights' stand-in rows (its inverse over those entries is the
 * block's inverse: the covariance conditional on the weights).
 * The oracle is the full problem itself, computed without any holding. The same holds when the held problem is the
 * model compiled again with the weights as constants (its own engine, no sensitivity columns for the weights).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { packSubjects } from '../../runtime/engine/engine-data.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { initialVector, populationLayout, unpack } from '../../runtime/infer/population.js';
import { observedInformation } from '../../runtime/uq/information.js';
import { evaluate, simulateBlock, totalLogLik, trajectoryFreeEntries, type UqProblem } from '../../runtime/uq/marginal.js';
import { holdWeights } from '../../runtime/uq/neural-held.js';
import { drawSampleSet } from '../../runtime/uq/uncertainty.js';

const source = `model held
parameters {
  theta1 = 0.5  lognormal(omega = 0.4)
  theta2 = 2.0  lognormal
}
states {
  X1(0) = 2
  X2(0) = 3
}
ode {
  d/dt X1 = theta2 * X2 - theta1 * mlp(X1, hidden = [2], activation = tanh)
  d/dt X2 = -theta2 * X2
}
observe { y ~ normal(X1, sd = sigma) }
error { sigma = 0.2 }
`;

const times = [0.3, 1, 2.5, 5];
const data = packSubjects([[2.6, 2.9, 1.9, 0.8], [2.4, 3.1, 2.2, 1.0], [2.9, 2.7, 1.5, 0.5]].map((obsValues) => ({ obsTimes: times, obsValues, obsOutputs: times.map(() => 0), doses: [], covariates: [] })), 0);
const covariates = [0, 1, 2].map(() => new Float64Array(0));
const solver = { rtol: 1e-10, atol: 1e-12, maxSteps: 100_000 };

/** The problem of a compiled model on the three subjects above. */
async function problemOf(c: ReturnType<typeof compile>): Promise<UqProblem> {
  const m = await prepareModel(c);
  return { model: m, data, layout: populationLayout(c.ir!), covariates, engine: createCpuEngine(m, data, solver), effectParameter: c.ir!.randomEffects.map((r) => r.parameter) };
}

/** The full problem (naming its weights, recompiling them as constants when `recompile`) and a v with the weights away from their start, so the network matters. */
async function fullProblem(recompile: boolean) {
  const compiled = compile(source);
  const ir = compiled.ir!;
  const full = {
    ...(await problemOf(compiled)), neuralParameters: ir.parameters.flatMap((p, k) => (p.neural ? [k] : [])),
    ...(recompile ? { recompileHolding: (w: ReadonlyMap<string, number>) => problemOf(compile(source, { heldWeights: w })) } : {}),
  };
  const layout = full.layout;
  const v = initialVector(layout).map((x, k) => (/mlp/.test(layout.entries[k]!.name) ? 0.4 * Math.cos(3 * k) : x + 0.05));
  return { full, layout, v };
}

describe('held network weights', () => {
  it('leave the value, gradient and information of the other entries as the full problem has them', async () => {
    const { full, layout, v } = await fullProblem(false);
    const held = (await holdWeights(full, v))!;
    expect(held.problem.layout.entries.map((e) => e.name)).toEqual(['theta1', 'theta2', 'omega_theta1', 'sigma']);
    expect(held.kept).toHaveLength(4);
    expect(v.length).toBe(4 + 7);

    const set = drawSampleSet(full, 'prior', v, undefined, 16, 5);
    const { phi } = unpack(layout, v);
    const block = await simulateBlock(full, set, phi);
    const fullEval = evaluate(full, set, block, v, trajectoryFreeEntries(full, set, phi));
    const vr = held.reduce(v);
    const heldEval = evaluate(held.problem, set, block, vr, trajectoryFreeEntries(held.problem, set, phi));
    expect(totalLogLik(heldEval).logLik).toBeCloseTo(totalLogLik(fullEval).logLik, 10);
    held.kept.forEach((k, j) => expect(heldEval.gradient[j], layout.entries[k]!.name).toBeCloseTo(fullEval.gradient[k]!, 8));

    const fullInfo = await observedInformation(full, set, block, v);
    const heldInfo = await observedInformation(held.problem, set, block, vr);
    const d = v.length;
    const r = held.kept.length;
    const sub = Float64Array.from(held.kept.flatMap((i) => held.kept.map((j) => fullInfo.information[i * d + j]!)));
    sub.forEach((x, idx) => expect(heldInfo.information[idx]!).toBeCloseTo(x, 6));

    // The expanded information: the held block where the kept entries meet, decoupled stand-ins for the weights
    // (so its inverse over the kept entries is the sub-block's inverse: the covariance conditional on the weights).
    const expanded = held.expandResult({ v: vr, logLik: 0, converged: true, message: '', iterations: [], seconds: 0, at: { method: 'agq', points: undefined as never, set, block, evaluation: heldEval, information: heldInfo, size: 16 } });
    expect(Array.from(expanded.v)).toEqual(Array.from(v));
    const info = expanded.at.information.information;
    const keptSet = new Set(held.kept);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (keptSet.has(i) && keptSet.has(j)) expect(info[i * d + j]).toBe(heldInfo.information[held.kept.indexOf(i) * r + held.kept.indexOf(j)]);
        else if (i === j) expect(info[i * d + j]).toBeGreaterThan(0);
        else expect(info[i * d + j]).toBe(0);
      }
    }
  }, 60_000);
  it('compiled again with the weights as constants: the same value, gradient and information, without the weight columns', async () => {
    const { full, layout, v } = await fullProblem(true);
    const held = (await holdWeights(full, v))!;
    expect(held.problem.engine).not.toBe(full.engine);
    expect(held.problem.model.dims.np).toBe(2);
    expect(full.model.dims.np).toBe(2 + 7);
    expect(held.problem.layout.entries.map((e) => e.name)).toEqual(['theta1', 'theta2', 'omega_theta1', 'sigma']);

    const set = drawSampleSet(full, 'prior', v, undefined, 16, 5);
    const { phi } = unpack(layout, v);
    const fullBlock = await simulateBlock(full, set, phi);
    const fullEval = evaluate(full, set, fullBlock, v, trajectoryFreeEntries(full, set, phi));
    const vr = held.reduce(v);
    const phiHeld = unpack(held.problem.layout, vr).phi;
    const heldBlock = await simulateBlock(held.problem, set, phiHeld);
    const heldEval = evaluate(held.problem, set, heldBlock, vr, trajectoryFreeEntries(held.problem, set, phiHeld));
    expect(totalLogLik(heldEval).logLik).toBeCloseTo(totalLogLik(fullEval).logLik, 7);
    held.kept.forEach((k, j) => expect(heldEval.gradient[j], layout.entries[k]!.name).toBeCloseTo(fullEval.gradient[k]!, 6));
    const fullInfo = await observedInformation(full, set, fullBlock, v);
    const heldInfo = await observedInformation(held.problem, set, heldBlock, vr);
    const d = v.length;
    const sub = Float64Array.from(held.kept.flatMap((i) => held.kept.map((j) => fullInfo.information[i * d + j]!)));
    sub.forEach((x, idx) => expect(heldInfo.information[idx]! / Math.max(1, Math.abs(x))).toBeCloseTo(x / Math.max(1, Math.abs(x)), 5));
    held.dispose();
    full.engine.dispose();
  }, 60_000);
});
