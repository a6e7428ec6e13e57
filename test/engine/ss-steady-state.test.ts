/**
 * SS = 1 and SS = 2 on both back ends against the one-compartment closed form, the steady state written as the
 * sum of the whole periodic past (test/engine/ss-fixture.ts): a bolus (with the textbook peak and trough
 * D/(V(1 − e^{−k II})) and D e^{−k II}/(V(1 − e^{−k II}))), zero-order inputs with the rate from the data (duration
 * shorter than and equal to II) and with the duration from the model, a lagged dose, SS = 2 on top of an earlier
 * dose and after SS = 1 at the same time, each also for a slowly eliminated drug (e^{−k II} = 0.89: hundreds of
 * periods). Sensitivities against central differences of the closed form. Observations before the steady-state
 * dose see the earlier history. All scenarios run as one batch (one kernel).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DoseKind } from '../../stdlib/dose-events.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { bolusAmount, checkScenario, dose, infusionAmount, Input, p0, runScenarios, steadyAmount, type BatchResults, type ClosedForm, type Scenario } from './ss-fixture.js';

const gpu = await useGpu();

const SS1 = { kind: DoseKind.steadyState, interval: 12 };
const SS2 = { kind: DoseKind.steadyStateAdded, interval: 12 };
/** At the model's values, and a slowly eliminated drug (k = 0.01 /h: 0.89 of the amount stays over 12 h). */
const rows = [p0, [0.01, ...p0.slice(1)]];

const cases: Record<string, { scenario: Scenario; exact: ClosedForm }> = {
  bolus: {
    scenario: { times: [12, 24, 24.5, 30, 36, 42, 48, 60], doses: [dose(0, 50), dose(24, 100, SS1), dose(36, 100), dose(48, 100)], rows },
    exact: (t, [k, V]) => (t <= 24 ? bolusAmount(t, 0, 50, k!) : steadyAmount(t, 48, 12, (u, s) => bolusAmount(u, s, 100, k!))) / V!,
  },
  ...Object.fromEntries([2, 12].map((d) => [`infusion over ${d} h`, {
    scenario: { times: [6, 24, 25, 26, 27, 30, 36, 37, 40], doses: [dose(0, 30, { rate: 30 / d }), dose(24, 100, { rate: 100 / d, ...SS1 }), dose(36, 100, { rate: 100 / d })], rows },
    exact: ((t, [k, V]) => (t <= 24 ? infusionAmount(t, 0, d, 30, k!) : steadyAmount(t, 36, 12, (u, s) => infusionAmount(u, s, d, 100, k!))) / V!) as ClosedForm,
  }])),
  'model duration': {
    scenario: { times: [25, 26.5, 30, 36], doses: [dose(24, 100, { input: Input.dur, rate: -2, ...SS1 })], rows },
    exact: (t, [k, V, Tinf]) => steadyAmount(t, 24, 12, (u, s) => infusionAmount(u, s, Tinf!, 100, k!)) / V!,
  },
  lag: {
    scenario: { times: [10, 24.2, 25, 30, 36.2, 40], doses: [dose(0, 50, { input: Input.po }), dose(24, 100, { input: Input.po, ...SS1 }), dose(36, 100, { input: Input.po })], rows },
    exact: (t, [k, V, , tlag]) => (t <= 24 + tlag! ? bolusAmount(t, tlag!, 50, k!) : steadyAmount(t, 36 + tlag!, 12, (u, s) => bolusAmount(u, s, 100, k!))) / V!,
  },
  'SS = 2 on an earlier dose': {
    scenario: { times: [12, 24, 25, 30, 36, 48], doses: [dose(0, 50), dose(24, 100, SS2), dose(36, 100)], rows },
    exact: (t, [k, V]) => (bolusAmount(t, 0, 50, k!) + (t <= 24 ? 0 : steadyAmount(t, 36, 12, (u, s) => bolusAmount(u, s, 100, k!)))) / V!,
  },
  'SS = 1 then SS = 2 at one time': {
    scenario: { times: [12, 24.5, 30, 36], doses: [dose(0, 50), dose(24, 100, { input: Input.dur, rate: -2, ...SS1 }), dose(24, 40, { rate: 20, ...SS2 })], rows },
    exact: (t, [k, V, Tinf]) =>
      (t <= 24 ? bolusAmount(t, 0, 50, k!) : steadyAmount(t, 24, 12, (u, s) => infusionAmount(u, s, Tinf!, 100, k!)) + steadyAmount(t, 24, 12, (u, s) => infusionAmount(u, s, 2, 40, k!))) / V!,
  },
};
const names = Object.keys(cases);

let results: BatchResults;
beforeAll(async () => {
  results = await runScenarios(names.map((n) => cases[n]!.scenario), gpu);
}, 600_000);

describe('steady state (SS = 1, SS = 2) against the closed form, both back ends', () => {
  for (const [s, name] of names.entries()) {
    it(name, () => checkScenario(results, s, cases[name]!.scenario, cases[name]!.exact));
  }

  it('bolus: peak and trough are the textbook steady state to 1e-6 (f64), f32 accuracy on WebGPU', () => {
    const { times } = cases.bolus!.scenario;
    rows.forEach(([k, V], r) => {
      const decay = Math.exp(-k! * 12);
      const trough = (100 * decay) / (V! * (1 - decay));
      const peak = 100 / (V! * (1 - decay));
      const at = (j: number): number => results.row(0, r) * results.maxObs + j;
      // Troughs just before the doses at 36 and 48 (observations see the pre-dose state); the peak half an hour after the dose at 24.
      for (const j of [times.indexOf(36), times.indexOf(48)]) {
        expect(Math.abs(results.cpu.predictions[at(j)]! - trough) / trough).toBeLessThan(1e-6);
        if (results.webgpu) expect(Math.abs(results.webgpu.predictions[at(j)]! - trough) / trough).toBeLessThan(2e-5);
      }
      const j = times.indexOf(24.5);
      const expected = peak * Math.exp(-k! * 0.5);
      expect(Math.abs(results.cpu.predictions[at(j)]! - expected) / expected).toBeLessThan(1e-6);
      if (results.webgpu) expect(Math.abs(results.webgpu.predictions[at(j)]! - expected) / expected).toBeLessThan(2e-5);
    });
  });
});
