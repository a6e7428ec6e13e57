/**
 * `nlmc fit --posterior … --iw-samples …` as a process: the choice is printed and written to fit.json, --resume
 * keeps the fit's family (whatever the command line says) and its K unless told otherwise, and a bad K is refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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

const theophylline = ['examples/theophylline/theophylline.nlm', '--data', 'examples/theophylline/data.csv', '--quiet', '--backend', 'cpu', '--no-uncertainty'];

describe('nlmc fit: posterior family and objective flags', () => {
  it('writes the family and K to fit.json; --resume keeps them', () => {
    const out = mkdtempSync(join(tmpdir(), 'nlmc-family-'));
    const first = nlmc('fit', ...theophylline, '--out', out, '--epochs', '4', '--posterior', 'fullrank', '--iw-samples', '3', '--samples', '1');
    expect(first.stderr).toContain('q(η | Y): full-rank Gaussian; objective: importance-weighted bound, K = 3');
    expect(first.code).toBe(0);
    const fit = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
    expect(fit.encoderConfig.posterior).toBe('fullrank');
    expect(fit.options).toMatchObject({ posterior: 'fullrank', iwSamples: 3 });
    // U's 3 entries make the head 9 wide.
    expect(fit.encoder.parameters['head.bias'].shape).toEqual([9]);

    const resumed = nlmc('fit', ...theophylline, '--out', out, '--epochs', '6', '--resume', '--posterior', 'diagonal', '--samples', '1');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('q(η | Y): full-rank Gaussian; objective: importance-weighted bound, K = 3 (--resume keeps the fit’s family)');
    const after = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
    expect(after.state.epoch).toBe(6);
    expect(after.encoderConfig.posterior).toBe('fullrank');
    expect(after.options.iwSamples).toBe(3);
  });

  it('refuses a K that is not a whole number ≥ 1', () => {
    const r = nlmc('fit', ...theophylline, '--out', mkdtempSync(join(tmpdir(), 'nlmc-badk-')), '--iw-samples', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--iw-samples a whole number ≥ 1');
  });
  it('an autoencoder with --estimate elbo gets no uncertainty step (its ω is not estimated), and says so', () => {
    const out = mkdtempSync(join(tmpdir(), 'nlmc-autoencoder-'));
    const r = nlmc('fit', 'examples/pk/pk.nlm', '--data', 'examples/pk/data.csv', '--quiet', '--backend', 'cpu', '--out', out, '--epochs', '5', '--posterior', 'autoencoder', '--estimate', 'elbo');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('objective: Σ log p(Y | η = μ)');
    expect(r.stderr).toContain('no uncertainty step for the autoencoder');
    const rows = readFileSync(join(out, 'estimates.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const se = rows[0]!.indexOf('se');
    const omega = rows.find((x) => x[0] === 'omega_theta1')!;
    expect(omega[rows[0]!.indexOf('estimate')]).toBe(omega[rows[0]!.indexOf('initial')]);
    expect(omega[se]).toBe('');
  });
});
