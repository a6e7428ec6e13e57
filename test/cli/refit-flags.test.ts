/**
 * `nlmc study` and `nlmc bootstrap` pass nlmc fit's own flags (--epochs, --posterior, --estimate) on to every refit:
 * the dry run prints the fit commands that would run, and each names the family and estimate given — a flow or
 * autoencoder study, or a bootstrap of an --estimate elbo fit, refits as that fit, not as the default full-rank ML.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const fitLines = (stdout: string): string[] => stdout.split('\n').filter((l) => / fit /.test(l));

describe('refit flags of study and bootstrap', () => {
  it('nlmc study --dry-run: every replicate fit gets --epochs, --posterior and --estimate', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nlmc-study-flags-')), 'study');
    const r = await runCli(['study', 'examples/pk/pk.nlm', '--replicates', '2', '--dry-run', '--out', out, '--epochs', '30', '--posterior', 'flow', '--estimate', 'elbo', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const lines = fitLines(r.stdout);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/--epochs 30 --posterior flow --estimate elbo/);
  }, 60_000);

  it('nlmc bootstrap --dry-run: every refit gets them too; a family that does not exist is refused', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nlmc-boot-flags-')), 'boot');
    const r = await runCli(['bootstrap', 'examples/theophylline/theophylline.nlm', '--data', 'examples/theophylline/data.csv', '--samples', '2', '--no-bca', '--dry-run', '--out', out, '--posterior', 'autoencoder', '--estimate', 'ml']);
    expect(r.status, r.stderr).toBe(0);
    const lines = fitLines(r.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/--posterior autoencoder --estimate ml/);
    const bad = await runCli(['bootstrap', 'examples/theophylline/theophylline.nlm', '--data', 'examples/theophylline/data.csv', '--samples', '2', '--dry-run', '--out', out, '--posterior', 'gaussian']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/posterior/);
  }, 60_000);
});
