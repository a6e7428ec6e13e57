/**
 * `nlmc fit` and `nlmc predict` as processes: the run folder, bad input (a dataset that does not match the
 * model, an unreadable file), a diverging fit, interruption and --resume — clear messages, non-zero exits, and
 * earlier outputs left intact.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const env = { ...process.env, NO_COLOR: '1', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };

function nlmc(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('nlmc fit as a process', () => {
  it('writes the run folder, and predict gives posteriors for new subjects without refitting', () => {
    const out = mkdtempSync(join(tmpdir(), 'nlmc-theo-'));
    const r = nlmc('fit', 'examples/theophylline/theophylline.nlm', '--data', 'examples/theophylline/data.csv', '--out', out, '--quiet', '--epochs', '60', '--backend', 'cpu');
    expect(r.stderr).toContain('examples/theophylline/data.csv: 12 subjects, 132 observations, 12 doses');
    expect(r.stderr).toContain('back end: CPU (f64, TypeScript)');
    expect(r.stderr).toContain('encoder: gru (chosen: the subjects are observed at different times; --encoder to change)');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['estimates.csv', 'estimates.json', 'fit.json', 'individual.csv', 'predictions.csv', 'trace.csv']);
    expect(readFileSync(join(out, 'predictions.csv'), 'utf8').split('\n')[0]).toBe('ID,TIME,OUTPUT,DV,PRED,IPRED,IWRES');
    expect(readFileSync(join(out, 'individual.csv'), 'utf8').split('\n')[0]).toBe('ID,ebe_eta_ka,ebe_eta_CL,ebe_eta_V,sd_eta_ka,sd_eta_CL,sd_eta_V,ka,CL,V');
    const trace = readFileSync(join(out, 'trace.csv'), 'utf8').trim().split('\n');
    expect(trace[0]).toBe('epoch,elbo,validation_elbo,gradient_norm,learning_rate,seconds,ka,CL,V,omega_ka,omega_CL,omega_V,a,b');
    expect(trace.length).toBeGreaterThan(10);
    // predict: the first three subjects as "new" data.
    const lines = readFileSync(join(root, 'examples/theophylline/data.csv'), 'utf8').split('\n');
    const fresh = [lines[0]!, ...lines.slice(1).filter((l) => /^"?[123]"?,/.test(l))].join('\n');
    const dataFile = join(out, 'new.csv');
    writeFileSync(dataFile, `${fresh}\n`);
    const p = nlmc('predict', out, '--data', dataFile, '--out', join(out, 'pred'));
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const individual = readFileSync(join(out, 'pred', 'individual.csv'), 'utf8').trim().split('\n');
    expect(individual).toHaveLength(4);
    // The same subjects get the same EBEs as in the fit: the conditional modes at the reported estimate, found from
    // the (deterministic) encoder's μ (to the mode search's tolerance).
    const fitted = readFileSync(join(out, 'individual.csv'), 'utf8').trim().split('\n');
    individual.slice(1).forEach((line, k) => {
      const a = line.split(',').map(Number);
      const b = fitted[k + 1]!.split(',').map(Number);
      a.forEach((x, j) => expect(Math.abs(x - b[j]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b[j]!))));
    });
  });

  it('rejects a dataset that does not match the model and an unreadable file, leaving earlier outputs intact', () => {
    const out = mkdtempSync(join(tmpdir(), 'nlmc-keep-'));
    writeFileSync(join(out, 'estimates.csv'), 'earlier results\n');
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-badfit-'));
    writeFileSync(join(dir, 'data.csv'), 'ID,TIME,DV,AMT,EVID,CMT\n1,0,.,100,1,1\n1,1,3.2,0,0,2\n');
    const mismatch = nlmc('fit', 'examples/theophylline/theophylline.nlm', '--data', join(dir, 'data.csv'), '--out', out, '--quiet');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/WT/);
    const missing = nlmc('fit', 'examples/pk/pk.nlm', '--data', join(dir, 'nope.csv'), '--out', out, '--quiet');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`nlmc: cannot read ${join(dir, 'nope.csv')}: no such file\n`);
    expect(readFileSync(join(out, 'estimates.csv'), 'utf8')).toBe('earlier results\n');
    expect(readdirSync(out)).toEqual(['estimates.csv']);
  });

  it('stops a diverging fit with a clear message, exit 3, and outputs marked incomplete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-diverge-'));
    // dX/dt = k X² blows up at t = 1/(k X0) = 1 before the last observation at t = 2, for every subject.
    writeFileSync(join(dir, 'blowup.nlm'), 'model blowup\nparameters { k = 1 lognormal(omega = 0.1) }\nstates { X(0) = 1 }\node { d/dt X = k * X^2 }\nobserve { y ~ normal(X, sd = s) }\nerror { s = 1 }\n');
    writeFileSync(join(dir, 'data.csv'), 'ID,TIME,DV\n1,0.5,2\n1,2,3\n2,0.5,2\n2,2,3\n');
    const r = nlmc('fit', join(dir, 'blowup.nlm'), '--data', join(dir, 'data.csv'), '--out', join(dir, 'run'), '--quiet', '--backend', 'cpu');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('nlmc fit: the ELBO became NaN at epoch 1');
    expect(r.stderr).toContain('marked incomplete');
    const estimates = JSON.parse(readFileSync(join(dir, 'run', 'estimates.json'), 'utf8')) as { complete: boolean; stop: string };
    expect(estimates.complete).toBe(false);
    expect(estimates.stop).toBe('diverged');
  });

  it('stops on Ctrl-C after the current step with a resumable state, and --resume continues', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nlmc-interrupt-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'fit', 'examples/pk/pk.nlm', '--data', 'examples/pk/data.csv', '--out', out, '--json', '--backend', 'cpu', '--epochs', '100000'], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.split('\n').filter((l) => l.startsWith('{"epoch"')).length === 3) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c ?? -1));
    });
    expect(code).toBe(3);
    expect(stderr).toContain('continue with --resume');
    const fit = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8')) as { complete: boolean; stop: string; state: { epoch: number } };
    expect(fit.complete).toBe(false);
    expect(fit.stop).toBe('interrupted');
    const done = fit.state.epoch;
    const resumed = nlmc('fit', 'examples/pk/pk.nlm', '--data', 'examples/pk/data.csv', '--out', out, '--quiet', '--backend', 'cpu', '--resume', '--epochs', String(done + 5));
    expect(resumed.code).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8')) as { complete: boolean; state: { epoch: number }; trace: unknown[] };
    expect(after.complete).toBe(true);
    expect(after.state.epoch).toBeGreaterThan(done);
    expect(after.trace.length).toBe(after.state.epoch);
    expect(existsSync(join(out, 'predictions.csv'))).toBe(true);
  }, 120_000);
});
