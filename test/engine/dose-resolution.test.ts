/**
 * stdlib/dose-resolution.ts, the dose rules both back ends follow: the mode of a data dose against NONMEM's RATE
 * semantics written out case by case, and the infusion's rate, duration and end time with their ∂/∂p against
 * central differences of F/Y computed here. (The conformance corpus runs the rules end to end on both back ends.)
 */
import { describe, expect, it } from 'vitest';
import { DoseMode, doseMode, doseModeRule, endTime, resolveInfusion, validInfusion, type ResolvedInfusion } from '../../stdlib/dose-resolution.js';

describe('dose resolution', () => {
  it('gives each RATE code its NONMEM meaning', () => {
    // [RATE, model duration, model rate] → mode
    const cases: [number, number, number, DoseMode][] = [
      [0, 0, 0, DoseMode.bolus],
      [40, 0, 0, DoseMode.dataRate],
      [40, 3, 7, DoseMode.dataRate],
      [-2, 3, 0, DoseMode.modelDuration],
      [-2, 0, 7, DoseMode.modelDuration],
      [-1, 3, 7, DoseMode.modelRate],
      [0, 3, 0, DoseMode.modelDuration],
      [0, 0, 7, DoseMode.modelRate],
      [0, 3, 7, DoseMode.modelDuration],
      [0, NaN, NaN, DoseMode.bolus],
    ];
    for (const [rate, duration, modelRate, want] of cases) expect(doseMode.apply(rate, duration, modelRate), `RATE ${rate}, D ${duration}, R ${modelRate}`).toBe(want);
    expect(doseModeRule(DoseMode.bolus)).toBeUndefined();
    expect(doseModeRule(DoseMode.modelRate)?.given).toBe('rate');
  });

  it('derives the other quantity and its ∂/∂p as the amount over the given one (central differences)', () => {
    // F(p) = 100 p0, a given quantity Y(p) = p0 p1 + 2, start τ(p) = 0.5 p1.
    const F = (p: number[]): number => 100 * p[0]!;
    const Y = (p: number[]): number => p[0]! * p[1]! + 2;
    const p = [0.7, 1.3];
    const dF = [100, 0];
    const dY = [p[1]!, p[0]!];
    for (const given of ['rate', 'duration'] as const) {
      const out: ResolvedInfusion = { rate: 0, duration: 0, dRate: new Float64Array(2), dDuration: new Float64Array(2) };
      resolveInfusion(given, F(p), dF, Y(p), dY, out, 2);
      const other = (q: number[]): number => F(q) / Y(q);
      const [gotGiven, gotOther, dOther] = given === 'rate' ? [out.rate, out.duration, out.dDuration] : [out.duration, out.rate, out.dRate];
      expect(gotGiven).toBe(Y(p));
      expect(gotOther).toBeCloseTo(other(p), 12);
      for (let k = 0; k < 2; k++) {
        const h = 1e-6;
        const fd = (other(p.map((v, q) => (q === k ? v + h : v))) - other(p.map((v, q) => (q === k ? v - h : v)))) / (2 * h);
        expect(dOther[k]).toBeCloseTo(fd, 6);
      }
      const dEnd = new Float64Array(2);
      expect(endTime.apply(0.5 * p[1]!, [0, 0.5], out.duration, out.dDuration, dEnd, 2)).toBeCloseTo(0.5 * p[1]! + out.duration, 12);
      expect(dEnd[1]).toBeCloseTo(0.5 + out.dDuration[1]!, 12);
    }
  });

  it('fails an infusion without a positive rate and duration', () => {
    expect(validInfusion.apply(10, 2)).toBe(true);
    expect(validInfusion.apply(0, 2)).toBe(false);
    expect(validInfusion.apply(10, NaN)).toBe(false);
  });
});
