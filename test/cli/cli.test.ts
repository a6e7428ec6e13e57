/** The real `nlmc` process: exit codes, messages with positions, files written, nothing half-written. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function nlmc(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const examples = ['pk/pk.nlm', 'antibody/antibody.nlm', 'antibody/antibody-times.nlm', 'tgfb/tgfb.nlm', 'theophylline/theophylline.nlm'];

describe('nlmc build', () => {
  it('builds every example into IR, WGSL (model functions and the kernel that runs) and TS', () => {
    const out = mkdtempSync(join(tmpdir(), 'nlmc-build-'));
    for (const e of examples) {
      const r = nlmc('build', `examples/${e}`, '--out', out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    expect(readdirSync(out).sort()).toEqual(
      examples.flatMap((e) => { const stem = e.split('/')[1]!.replace('.nlm', ''); return [`${stem}.ir.txt`, `${stem}.kernel.wgsl`, `${stem}.ts`, `${stem}.wgsl`]; }).sort(),
    );
  });

  it('reports errors with file:line:column, exits 1, and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-bad-'));
    const file = join(dir, 'bad.nlm');
    writeFileSync(file, 'model bad\nparameters { k = 1 lognormal(omega = 0.3) }\nstates { X(0) = 1 }\node { d/dt X = -kk * X }\nobserve { y ~ normal(X, sd = s) }\nerror { s = 0.1 }\n');
    const r = nlmc('build', file, '--out', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:4:17: error E201: unknown name 'kk'; did you mean 'k'?`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2 for a file that cannot be read', () => {
    const r = nlmc('build', 'no/such/model.nlm');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('nlmc: cannot read no/such/model.nlm: no such file\n');
  });
});

describe('nlmc simulate', () => {
  it('writes the same file for the same seed, with the true values beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-sim-'));
    const a = nlmc('simulate', 'examples/pk/pk.nlm', '--design', 'examples/pk/design.json', '--seed', '5', '--out', join(dir, 'a.csv'));
    const b = nlmc('simulate', 'examples/pk/pk.nlm', '--design', 'examples/pk/design.json', '--seed', '5', '--out', join(dir, 'b.csv'));
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toContain('simulated 100 subjects, 600 observations, 0 doses (seed 5)');
    expect(readFileSync(join(dir, 'b.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a.csv'), 'utf8'));
    expect(readFileSync(join(dir, 'a.truth.csv'), 'utf8').split('\n')[0]).toBe('ID,eta_theta1,theta1,theta2');
  });

  it('rejects a bad design and a dataset that does not match the model, exit 1, without writing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-sim-bad-'));
    writeFileSync(join(dir, 'design.json'), '{ "subjects": 3, "times": [0, 1], "covariates": { "WT": { "normal": [70, -1] } } }');
    const r = nlmc('simulate', 'examples/theophylline/theophylline.nlm', '--design', join(dir, 'design.json'), '--out', join(dir, 'x.csv'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('covariates.WT must be');
    writeFileSync(join(dir, 'data.csv'), 'ID,TIME,DV,AMT,EVID,CMT\n1,0,.,100,1,1\n1,1,3.2,0,0,2\n');
    const d = nlmc('simulate', 'examples/theophylline/theophylline.nlm', '--data', join(dir, 'data.csv'), '--out', join(dir, 'x.csv'));
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/WT/);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });
});
