/**
 * Ctrl-C during `--estimate elbo`'s Monte-Carlo uncertainty step (issue #17 item 11): honoured as in the other
 * phases — the step stops before its next estimator or the information, the variational optimum is written marked
 * incomplete without standard errors, exit 3. (Before, the step ran to its end and the fit exited 0.)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFit } from '../../cli/commands/fit.js';
import { runSimulate } from '../../runtime/simulate/simulate-run.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

describe('nlmc fit --estimate elbo, stopped during the uncertainty step', () => {
  it('writes the variational optimum marked incomplete, without standard errors, and exits 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-uq-stop-'));
    const linear = join(here, 'linear.nlm');
    expect(await runSimulate({ model: linear, design: join(here, 'linear-design.json'), seed: 3, out: join(dir, 'data.csv'), map: {}, color: false }, capture().io)).toBe(0);
    const { io, out } = capture();
    // The request arrives when the Monte-Carlo step announces itself (training is over by then).
    const stopped = () => out.stderr.includes('uncertainty at the variational optimum: Monte-Carlo');
    const code = await runFit({
      model: linear, data: join(dir, 'data.csv'), out: join(dir, 'run'), backend: 'cpu', seed: 1, epochs: 40, samples: 8, learningRate: 0.05, validation: 0, patience: 100,
      resume: false, progress: 'quiet', map: {}, color: false, uqSamples: 60, estimate: 'elbo',
    }, io, stopped);
    expect(code).toBe(3);
    // No estimator ran after the request.
    expect(out.stderr).not.toMatch(/prior sampling: −2LL|importance sampling: −2LL|observed information:/);
    expect(out.stderr).toMatch(/the uncertainty step was interrupted; the outputs hold the variational optimum without standard errors/);
    expect(out.stderr).toMatch(/interrupted during the uncertainty step; the outputs in .* are marked incomplete/);
    const e = JSON.parse(readFileSync(join(dir, 'run', 'estimates.json'), 'utf8')) as { complete: boolean; likelihood: unknown; estimates: { se: number | null }[] };
    expect(e.complete).toBe(false);
    expect(e.likelihood).toBeNull();
    expect(e.estimates.every((r) => r.se === null)).toBe(true);
    expect(readFileSync(join(dir, 'run', 'estimates.csv'), 'utf8').split('\n')[1]).toMatch(/,no,interrupted$/);
  }, 120_000);
});
