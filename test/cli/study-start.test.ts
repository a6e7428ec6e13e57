/**
 * `nlmc study --start perturbed|truth`: the perturbed start (parameters 30 % off, ω and residual-error parameters
 * ×/÷ 1.5, directions drawn per replicate, fixed values untouched), the model copy that carries it (every way an
 * initial value can be written), and a study whose fits read it and record it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runStudy } from '../../runtime/uq/study-run.js';
import { withStartValues } from '../../runtime/uq/start-values.js';
import { compile } from '../../compiler/pipeline.js';
import { Random } from '../../runtime/nn/random.js';
import { PERTURBED_START, perturbedStart, type StartValue } from '../../runtime/uq/study.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nlmc-study-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every place an initial value can be written, fixed and estimated. */
const model = `model starts

parameters {
  ka = 1.5    lognormal(omega = 0.6)
  c  = -0.05  normal
  z  = 0      normal(omega = 0.1 fixed)
  F  = 0.98   in (0, 1)  logitnormal(omega = 0.3)
  V  = 2      fixed lognormal
}

states { A(0) = 1 }

ode { d/dt A = -ka * A + c * z * F / V }

observe {
  y1 ~ normal(A, sd = sigma)
  y2 ~ normal(A, sd = combined(a2 = 0.5, 0.1))
  y3 ~ normal(A, sd = proportional(0.2 fixed))
  y4 ~ normal(A, sd = 0.25)
}

error { sigma = 0.3 }
`;

describe('the perturbed start', () => {
  const checked = compile(model, { emit: [] }).checked!;

  it('moves every estimated value by the stated amount, and nothing fixed', () => {
    const start = perturbedStart(checked, new Random(7));
    expect(start.map((v) => v.name)).toEqual(['ka', 'omega_ka', 'c', 'z', 'F', 'omega_F', 'sigma', 'a2', 'y2_b', 'y4_sd']);
    const by = new Map(start.map((v) => [v.name, v]));
    for (const name of ['ka', 'c']) expect([0.7, 1.3].map((f) => Number((by.get(name)!.truth * f).toPrecision(4)))).toContain(by.get(name)!.start);
    expect([-0.3, 0.3]).toContain(by.get('z')!.start); // a normal parameter at 0 moves by 0.3
    expect([0.686, 0.99]).toContain(by.get('F')!.start); // 0.98 × 1.3 would leave (0, 1): kept at 99 % of the range
    for (const name of ['omega_ka', 'omega_F', 'sigma', 'a2', 'y2_b', 'y4_sd']) {
      const v = by.get(name)!;
      expect([v.truth / 1.5, v.truth * 1.5].map((x) => Number(x.toPrecision(4))), name).toContain(v.start);
    }
    expect(PERTURBED_START).toContain('30 %');
  });

  it('draws the directions from the generator: the same seed gives the same start, others differ', () => {
    const of = (seed: number): number[] => perturbedStart(checked, new Random(seed)).map((v) => v.start);
    expect(of(3)).toEqual(of(3));
    const distinct = new Set([1, 2, 3, 4, 5, 6].map((s) => of(s).join(',')));
    expect(distinct.size).toBeGreaterThan(1);
    // Over many draws both directions occur for each value.
    const seen = new Map<string, Set<boolean>>();
    for (let s = 1; s <= 40; s++) for (const v of perturbedStart(checked, new Random(s))) seen.set(v.name, (seen.get(v.name) ?? new Set()).add(v.start > v.truth));
    for (const [name, sides] of seen) if (name !== 'F') expect(sides.size, name).toBe(2);
  });

  it('is written into a copy of the model that reads back exactly those values', () => {
    const compiled = compile(model, { emit: [] });
    const start = perturbedStart(compiled.checked!, new Random(11));
    const copy = withStartValues(model, compiled.ast, start);
    if ('error' in copy) throw new Error(copy.error);
    const again = compile(copy.source, { emit: [] });
    expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const read = new Map<string, number>();
    for (const p of again.checked!.parameters) {
      read.set(p.name, p.initial);
      if (p.omega) read.set(`omega_${p.name}`, p.omega.initial);
    }
    for (const e of again.checked!.errorParameters) read.set(e.name, e.initial);
    for (const v of start) expect(read.get(v.name), v.name).toBe(v.start);
    // The fixed ones are as they were; only the numbers changed.
    expect([read.get('V'), read.get('omega_z'), read.get('y3_b')]).toEqual([2, 0.1, 0.2]);
    expect(copy.source.replace(/-?[\d.]+(e-?\d+)?/g, 'N')).toBe(model.replace(/-?[\d.]+(e-?\d+)?/g, 'N'));
  });

  it('refuses a start it cannot place', () => {
    const compiled = compile(model, { emit: [] });
    const bogus: StartValue[] = [{ name: 'nowhere', kind: 'parameter', truth: 1, start: 2 }];
    expect(withStartValues(model, compiled.ast, bogus)).toEqual({ error: 'could not write the start values of nowhere into a copy of the model; use --start truth' });
  });
});

describe('nlmc study --start', () => {
  const linear = join(root, 'test/uq/linear.nlm');
  const design = join(root, 'test/uq/linear-design.json');
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
  };
  const initials = (fit: string): Record<string, number> =>
    Object.fromEntries((JSON.parse(readFileSync(join(fit, 'estimates.json'), 'utf8')) as { estimates: { name: string; initial: number }[] }).estimates.map((e) => [e.name, e.initial]));
  const fitArgs = ['--epochs', '20', '--uq-samples', '10'];

  it('perturbed (the default): each fit reads its replicate’s start.nlm, and the study records the start', async () => {
    const { io, out } = capture();
    const study = join(dir, 'perturbed');
    expect(await runStudy({ model: linear, replicates: 2, seed: 5, design, jobs: 2, out: study, backend: 'cpu', fitArgs, color: false }, io)).toBe(0);
    expect(out.stderr).toContain(`start: perturbed (${PERTURBED_START})`);
    const json = JSON.parse(readFileSync(join(study, 'study.json'), 'utf8')) as { start: string; startRule: string; runs: { replicate: number; start: Record<string, number> }[] };
    expect(json.start).toBe('perturbed');
    expect(json.startRule).toBe(PERTURBED_START);
    const truth: Record<string, number> = { a: 1, k: 0.3, c: -0.05, omega_a: 0.5, omega_k: 0.2, sigma: 0.3 };
    for (const run of json.runs) {
      const rep = join(study, `rep-00${run.replicate}`);
      expect(existsSync(join(rep, 'start.nlm'))).toBe(true);
      expect(Object.keys(run.start).sort()).toEqual(Object.keys(truth).sort());
      for (const [name, v] of Object.entries(run.start)) expect(v, name).not.toBe(truth[name]);
      expect(initials(join(rep, 'fit'))).toEqual(run.start);
    }
    expect(json.runs[0]!.start).not.toEqual(json.runs[1]!.start);
    expect(readFileSync(join(study, 'study.md'), 'utf8')).toContain(`Fits' start: perturbed (${PERTURBED_START}).`);
  }, 120_000);

  it('truth: the fits start at the model’s values', async () => {
    const { io, out } = capture();
    const study = join(dir, 'truth');
    expect(await runStudy({ model: linear, replicates: 1, seed: 5, design, jobs: 1, out: study, backend: 'cpu', fitArgs, start: 'truth', color: false }, io)).toBe(0);
    expect(out.stderr).toContain("start: the truth (the model's values)");
    expect(existsSync(join(study, 'rep-001', 'start.nlm'))).toBe(false);
    expect(initials(join(study, 'rep-001', 'fit'))).toEqual({ a: 1, k: 0.3, c: -0.05, omega_a: 0.5, omega_k: 0.2, sigma: 0.3 });
    expect((JSON.parse(readFileSync(join(study, 'study.json'), 'utf8')) as { start: string }).start).toBe('truth');
  }, 120_000);
});
