/**
 * The model module's fused Dormand–Prince step (compiler/emit-ts/emit-step.ts) against the generic stepper
 * (runtime/engine/cpu/explicit-rk.ts) driven by the module's `sensitivityRhs`, and `sensitivityRhs` against the
 * dense product of rhs, rhsDx and rhsDp it replaces. The fused step promises the generic arithmetic to the last
 * bit, so the comparisons are exact; the closed-form tests (cpu-solver, infusions, conformance) then pin both.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dormandPrince5 } from '../../compiler/solvers/butcher-tableau.js';
import { compile } from '../../compiler/pipeline.js';
import { FUSED_LIMITS } from '../../compiler/emit-ts/emit-step.js';
import { compileStep } from '../../runtime/engine/cpu/explicit-rk.js';
import { TrajectorySolver } from '../../runtime/engine/cpu/solve-trajectory.js';
import { loadTsModel, type TsModelModule } from '../../runtime/model/load-ts-module.js';

async function load(source: string): Promise<TsModelModule> {
  const r = compile(source, { emit: ['ts'] });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return loadTsModel(r.artifacts.ts!);
}

const example = (path: string): string => readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8');

/** A deterministic stream in (lo, hi). */
function uniform(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => lo + (hi - lo) * ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const models = ['pk/pk.nlm', 'theophylline/theophylline.nlm', 'antibody/antibody.nlm', 'tgfb/tgfb.nlm', 'steady-state/steady-state.nlm'];

describe('fused explicit step', () => {
  for (const path of models) {
    it(`${path}: sensitivityRhs equals the dense product; the fused step equals the generic one bit for bit`, async () => {
      const m = await load(example(path));
      const { nx, ns, np, nc } = m.dims;
      const n = nx + nx * ns;
      const rand = uniform(path.length * 7919);
      const fill = (k: number, lo: number, hi: number): Float64Array => Float64Array.from({ length: k }, () => rand(lo, hi));
      for (let trial = 0; trial < 5; trial++) {
        const y = fill(n, 0.1, 3);
        const p = fill(np, 0.2, 2);
        const c = fill(Math.max(nc, 1), 0.5, 2);
        const rate = fill(nx, 0, 1);
        const rateDp = fill(nx * ns, -1, 1);
        // The dense oracle: f + rate, and (∂f/∂x) S + ∂f/∂p + ∂rate/∂p with every entry.
        const f = new Float64Array(nx);
        const jx = new Float64Array(nx * nx);
        const jp = new Float64Array(nx * ns);
        m.rhs(0.7, y, p, c, f);
        m.rhsDx(0.7, y, p, c, jx);
        m.rhsDp(0.7, y, p, c, jp);
        const sparse = new Float64Array(n);
        m.sensitivityRhs(0.7, y, p, c, rate, rateDp, sparse);
        for (let i = 0; i < nx; i++) {
          expect(sparse[i]).toBe(f[i]! + rate[i]!);
          for (let k = 0; k < ns; k++) {
            let dense = jp[i * ns + k]! + rateDp[i * ns + k]!;
            for (let j = 0; j < nx; j++) dense += jx[i * nx + j]! * y[nx + j * ns + k]!;
            expect(Math.abs(sparse[nx + i * ns + k]! - dense)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(dense)));
          }
        }
        // One step of size h from t, the left limit of the next stop inside the step (stage times clamped).
        const t = rand(0, 5);
        const h = rand(1e-3, 0.5);
        const tLeft = trial % 2 === 0 ? Infinity : t + 0.5 * h;
        const clamp = (s: number): number => (s < tLeft ? s : tLeft);
        const generic = compileStep(dormandPrince5);
        const k = dormandPrince5.c.map(() => new Float64Array(n));
        const yNew = new Float64Array(n);
        const err = new Float64Array(n);
        generic((s, yy, out) => m.sensitivityRhs(clamp(s), yy, p, c, rate, rateDp, out), t, y, h, yNew, err, k, new Float64Array(n), n, false);
        const fusedK0 = new Float64Array(n);
        const fusedLast = new Float64Array(n);
        const fusedNew = new Float64Array(n);
        const fusedErr = new Float64Array(n);
        m.explicitStep!(t, y, h, p, c, rate, rateDp, tLeft, false, fusedK0, fusedLast, fusedNew, fusedErr);
        expect(fusedNew).toEqual(yNew);
        expect(fusedErr).toEqual(err);
        expect(fusedK0).toEqual(k[0]);
        expect(fusedLast).toEqual(k[k.length - 1]);
        // With k0 given (FSAL reuse) the step is the same.
        m.explicitStep!(t, y, h, p, c, rate, rateDp, tLeft, true, fusedK0, fusedLast, fusedNew, fusedErr);
        expect(fusedNew).toEqual(yNew);
        // The states alone: the generic step on rhs + rate.
        const x = y.slice(0, nx);
        const xk = dormandPrince5.c.map(() => new Float64Array(nx));
        const xNew = new Float64Array(nx);
        const xErr = new Float64Array(nx);
        generic((s, yy, out) => {
          m.rhs(clamp(s), yy, p, c, out);
          for (let i = 0; i < nx; i++) out[i] = out[i]! + rate[i]!;
        }, t, x, h, xNew, xErr, xk, new Float64Array(nx), nx, false);
        const sNew = new Float64Array(nx);
        const sErr = new Float64Array(nx);
        m.explicitStepStates!(t, x, h, p, c, rate, rateDp, tLeft, false, new Float64Array(nx), new Float64Array(nx), sNew, sErr);
        expect(sNew).toEqual(xNew);
        expect(sErr).toEqual(xErr);
      }
    });
  }

  it('gives whole trajectories (doses, an infusion, observations at stops) equal to the generic stepper', async () => {
    const m = await load(example('theophylline/theophylline.nlm'));
    const withoutFused: TsModelModule = { ...m, explicitStep: undefined, explicitStepStates: undefined };
    const input = {
      p: Float64Array.from({ length: m.dims.np }, (_, i) => 0.5 + 0.3 * i),
      c: new Float64Array([70]),
      times: [0.25, 0.5, 1, 2, 3.5, 5, 7, 9, 12, 24],
      outputs: new Array(10).fill(0),
      doses: [{ time: 0, amount: 320, target: 0 }, { time: 5, amount: 100, target: 0 }],
      infusions: [{ start: 6, end: 8, target: 1, rate: 20 }],
      breakpoints: [],
    };
    for (const sensitivities of [true, false]) {
      const options = { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000, sensitivities };
      const run = (model: TsModelModule) => {
        const predictions = new Float64Array(10);
        const gradients = new Float64Array(10 * m.dims.ns);
        const stats = new TrajectorySolver(model, options).solve(input, predictions, gradients);
        return { stats, predictions, gradients };
      };
      const fused = run(m);
      const generic = run(withoutFused);
      expect(fused.stats.acceptedSteps).toBeGreaterThan(10);
      expect(fused).toEqual(generic);
    }
  });

  it('leaves the fused step out beyond its size limit', async () => {
    // A chain of compartments, each with its own rate constant: nx + nx·ns grows quadratically.
    const nx = 12;
    const source = `model chain
parameters {
${Array.from({ length: nx }, (_, i) => `  k${i} = ${0.1 + i / 10}  lognormal`).join('\n')}
}
states {
${Array.from({ length: nx }, (_, i) => `  A${i}(0) = ${i === 0 ? 1 : 0}`).join('\n')}
}
ode {
${Array.from({ length: nx }, (_, i) => `  d/dt A${i} = ${i === 0 ? '' : `k${i - 1} * A${i - 1} `}- k${i} * A${i}`).join('\n')}
}
observe { y ~ normal(A${nx - 1}, sd = 0.1) }
`;
    const m = await load(source);
    expect(m.dims.nx + m.dims.nx * m.dims.ns).toBeGreaterThan(FUSED_LIMITS.size);
    expect(m.explicitStep).toBeUndefined();
    expect(m.explicitStepStates).toBeDefined();
  });
});
