/**
 * EVID 3 (reset) and EVID 4 (reset and dose) on both back ends, against the closed form of the one-compartment
 * model with an effect compartment whose initial state is E0 (test/engine/ss-fixture.ts): after a reset the
 * system is at rest again — conc 0, E = E0 with ∂E/∂E0 = 1 and every other sensitivity 0 — an observation at the
 * reset time sees the state before it, a reset ends an infusion that is running, and a dose after it acts from
 * the reset state. The data reader's side (rows, order, messages) is in test/data/reset-ss-rows.test.ts.
 */
import { beforeAll, describe, it } from 'vitest';
import { DoseKind } from '../../stdlib/dose-events.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { bolusAmount, checkScenario, dose, infusionAmount, p0, runScenarios, type BatchResults, type ClosedForm, type Scenario } from './ss-fixture.js';

const gpu = await useGpu();

const reset = (time: number) => ({ time, amount: 0, input: -1, rate: 0, kind: DoseKind.reset });
const concTimes = [5, 10, 12, 20, 25, 32, 35, 36, 40, 50];
/** E only where the system is at rest: after the reset at 10 (until the dose at 20), and at 36 (until 45). */
const effectTimes = [12, 18, 36];
// In time order (the engine's packing sorts observations by time).
const observed = [...concTimes.map((t) => [t, 0] as const), ...effectTimes.map((t) => [t, 1] as const)].sort((a, b) => a[0] - b[0]);
const times = observed.map(([t]) => t);
const outputs = observed.map(([, o]) => o);

const scenario: Scenario = {
  times, outputs, rows: [p0, [0.3, 5, 2, 0.5, 1.5, 0.2]],
  doses: [
    dose(0, 100), reset(10), // EVID 3
    reset(20), dose(20, 100), // EVID 4: the reset, then its dose
    dose(30, 100, { rate: 10 }), reset(35), // a reset while an infusion runs ends it
    dose(45, 80),
  ],
};

/** conc by superposition within each stretch between resets; E where the system is at rest (E = E0). */
const exact: ClosedForm = (t, [k, V, , , E0], j) => {
  if (outputs[j] === 1) return E0!;
  const amount = t <= 10 ? bolusAmount(t, 0, 100, k!)
    : t <= 20 ? 0
      : t <= 35 ? bolusAmount(t, 20, 100, k!) + infusionAmount(t, 30, 10, 100, k!)
        : bolusAmount(t, 45, 80, k!);
  return amount / V!;
};

let results: BatchResults;
beforeAll(async () => {
  results = await runScenarios([scenario], gpu);
}, 600_000);

describe('resets (EVID 3, EVID 4) against the closed form, both back ends', () => {
  it('conc and E, with their sensitivities, before and after each reset', () => checkScenario(results, 0, scenario, exact));
});
