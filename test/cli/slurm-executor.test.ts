/**
 * Batches of fits through the executors (runtime/uq/executor): a 4-replicate study of examples/pk (6 subjects,
 * 30 epochs) with the local process pool and through a real Slurm (the one-node cluster of .ci/slurm-up.sh) give the
 * same table with the same seeds; a study killed midway and run again fits only the replicates it had not finished,
 * with either executor. The Slurm half needs `sbatch` on the PATH and a running cluster (SLURM_CONF); without
 * sbatch it is skipped with the reason, and with NLMC_REQUIRE_SLURM=1 (set by .ci/run) that is a failure instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, test } from 'vitest';
import { runStudy, type StudyArgs } from '../../runtime/uq/study-run.js';
import { nlmcCommand } from '../../runtime/uq/executor/nlmc-command.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const model = join(root, 'examples/pk/pk.nlm');
const design = join(root, 'test/cli/fixtures/pk-small-design.json');
const dir = mkdtempSync(join(tmpdir(), 'nlmc-executor-'));
// Tiny fits: 30 epochs, then the maximum-likelihood finish and the uncertainty step (AGQ, one random effect).
const fitArgs = ['--epochs', '30'];
process.env['NLMC_SLURM_POLL_SECONDS'] = '1';

// A usable client: `sbatch --version` fails without a slurm.conf too (SLURM_CONF, which .ci/slurm-up.sh prints).
const sbatch = spawnSync('sbatch', ['--version'], { encoding: 'utf8' });
const haveSbatch = sbatch.status === 0;
const why = sbatch.error ? 'no `sbatch` on the PATH' : `\`sbatch --version\` fails: ${(sbatch.stderr ?? '').trim()}`;
const requireSlurm = process.env['NLMC_REQUIRE_SLURM'] === '1';
if (!haveSbatch) {
  if (requireSlurm) {
    test('sbatch works (NLMC_REQUIRE_SLURM=1)', () => {
      throw new Error(`NLMC_REQUIRE_SLURM=1 but ${why} (.ci/run installs slurm-wlm and starts a one-node cluster with .ci/slurm-up.sh as root)`);
    });
  } else {
    console.warn(`[slurm tests] skipped: ${why} (as root: eval "$(bash .ci/slurm-up.sh)", which exports SLURM_CONF; set NLMC_REQUIRE_SLURM=1 to make this a failure)`);
  }
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

const studyArgs = (out: string, extra: Partial<StudyArgs> = {}): StudyArgs => ({ model, replicates: 4, seed: 5, design, jobs: 2, out, backend: 'cpu', fitArgs, color: false, ...extra });
const cliArgs = (out: string, extra: string[]): string[] => ['study', model, '--replicates', '4', '--seed', '5', '--design', design, '--out', out, '--backend', 'cpu', ...fitArgs, ...extra];

/** The replicates whose fit finished (estimates.json says complete), read from the folder. */
function finishedReplicates(out: string): number[] {
  return readdirSync(out).filter((d) => /^rep-\d+$/.test(d)).flatMap((d) => {
    try {
      return (JSON.parse(readFileSync(join(out, d, 'fit', 'estimates.json'), 'utf8')) as { complete: boolean }).complete ? [Number(d.slice(4))] : [];
    } catch {
      return [];
    }
  }).sort((a, b) => a - b);
}

/** Starts `nlmc study` in its own process group, and kills the group as soon as the first replicate has finished. */
function studyKilledAfterFirst(args: string[]): Promise<string> {
  const [node, ...program] = nlmcCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(node!, [...program, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && /replicate \d+ \(1\/4\)/.test(stderr)) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(stderr) : reject(new Error(`the study was not killed midway:\n${stderr}`))));
  });
}

/** The replicates a run fitted (not reused), from its progress lines. */
const fittedIn = (stderr: string): number[] => [...stderr.matchAll(/replicate (\d+) \(\d+\/4\): [\d.]+ s/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
const reusedIn = (stderr: string): number[] => [...stderr.matchAll(/replicate (\d+) \(\d+\/4\): reused/g)].map((m) => Number(m[1])).sort((a, b) => a - b);

describe('study executors', () => {
  it('local: a study killed midway, run again, fits only the replicates it had not finished', async () => {
    const out = join(dir, 'local');
    await studyKilledAfterFirst(cliArgs(out, ['--jobs', '2']));
    const before = finishedReplicates(out);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(4);
    const { io, out: o } = capture();
    expect(await runStudy(studyArgs(out), io)).toBe(0);
    expect(reusedIn(o.stderr)).toEqual(before);
    expect(fittedIn(o.stderr)).toEqual([1, 2, 3, 4].filter((r) => !before.includes(r)));
    expect(o.stdout).toContain('4 of 4 replicates fitted');
  }, 400_000);

  it('slurm --dry-run writes the array script and the task list and prints the sbatch command, fitting nothing', async () => {
    const out = join(dir, 'dry');
    const { io, out: o } = capture();
    expect(await runStudy(studyArgs(out, { executor: 'slurm', dryRun: true, jobs: undefined, schedulerOptions: ['--time=10:00'] }), io)).toBe(0);
    const script = join(out, 'slurm', 'submit-1.sbatch');
    expect(o.stdout).toBe(`sbatch ${script}\n`);
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('#SBATCH --array=1-4\n');
    expect(text).toContain('#SBATCH --time=10:00\n');
    const tasks = readFileSync(join(out, 'slurm', 'tasks.txt'), 'utf8').trim().split('\n');
    expect(tasks).toHaveLength(4);
    tasks.forEach((line, k) => expect(line).toContain(`--data ${join(out, `rep-00${k + 1}`, 'data.csv')} --out ${join(out, `rep-00${k + 1}`, 'fit')} --seed ${5 + k} `));
    expect(existsSync(join(out, 'rep-001', 'fit'))).toBe(false);
    // The script runs with bash: its syntax is checked here without a cluster.
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
  }, 120_000);

  it('slurm without Slurm’s commands: a clear message and exit 1, after the datasets are written', async () => {
    const out = join(dir, 'nosbatch');
    const path = process.env['PATH'];
    process.env['PATH'] = join(dir, 'no-such-bin');
    const { io, out: o } = capture();
    try {
      expect(await runStudy(studyArgs(out, { executor: 'slurm', jobs: undefined }), io)).toBe(1);
    } finally {
      process.env['PATH'] = path;
    }
    expect(o.stderr).toContain("nlmc study: sbatch is not on PATH: --executor slurm needs Slurm's client commands (sbatch, squeue) on this machine\n");
    expect(existsSync(join(out, 'rep-004', 'data.csv'))).toBe(true);
  }, 120_000);

  it.skipIf(!haveSbatch)('slurm: the same table as the local executor; killed midway, the re-run submits only the missing replicates', async () => {
    const out = join(dir, 'slurm');
    await studyKilledAfterFirst(cliArgs(out, ['--executor', 'slurm']));
    // The cluster goes on without the study: cancel what is left, as if it had been lost, and wait for the queue.
    const jobs = JSON.parse(readFileSync(join(out, 'slurm', 'jobs.json'), 'utf8')) as { job: string; tasks: number[] }[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.tasks).toEqual([1, 2, 3, 4]);
    spawnSync('scancel', [jobs[0]!.job]);
    for (let i = 0; i < 60 && spawnSync('squeue', ['--noheader', '--jobs', jobs[0]!.job], { encoding: 'utf8' }).stdout.trim() !== ''; i++) await new Promise((r) => setTimeout(r, 1000));
    const before = finishedReplicates(out);
    const missing = [1, 2, 3, 4].filter((r) => !before.includes(r));
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(missing.length).toBeGreaterThanOrEqual(1);

    const { io, out: o } = capture();
    expect(await runStudy(studyArgs(out, { executor: 'slurm', jobs: undefined }), io)).toBe(0);
    expect(o.stderr).toMatch(new RegExp(`slurm: submitted job \\d+, array ${missing.length === 1 ? missing[0] : `[\\d,-]+`} `));
    const again = JSON.parse(readFileSync(join(out, 'slurm', 'jobs.json'), 'utf8')) as { job: string; tasks: number[] }[];
    expect(again).toHaveLength(2);
    expect(again[1]!.tasks).toEqual(missing);
    expect(reusedIn(o.stderr)).toEqual(before);
    expect(fittedIn(o.stderr)).toEqual(missing);
    expect(readFileSync(join(out, 'study.csv'), 'utf8')).toBe(readFileSync(join(dir, 'local', 'study.csv'), 'utf8'));
  }, 400_000);
});
