/**
 * The run folder as a whole: `--out` checked before anything is fitted; a new run replaces every run file of an
 * old one (none left over, the user's own files kept); what a killed writer left is restored or removed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { cleanFolderLeftovers, outputFolderProblem, writeFolderAtomic } from '../../runtime/data/write-atomic.js';
import { RUN_FILES } from '../../runtime/report/fit-outputs.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

const fitArgs = (out: string, extra: Partial<FitArgs> = {}): FitArgs => ({
  model: 'examples/pk/pk.nlm', data: 'examples/pk/data.csv', out, backend: 'cpu', seed: 1, epochs: 2, samples: 4, learningRate: 0.05, validation: 0, patience: 100,
  resume: false, progress: 'quiet', map: {}, color: false, uncertainty: false, ...extra,
});

/** A pid that runs no process (a finished child's). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('--out is checked before the fit', () => {
  it('an existing file, an empty name, a file above it, an unwritable folder: exit 1, a message, nothing fitted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-out-'));
    writeFileSync(join(dir, 'file'), 'x');
    const cases: [string, RegExp][] = [
      [join(dir, 'file'), /--out: .*file exists and is not a folder; nothing was fitted/],
      ['', /--out: the output folder name is empty; nothing was fitted/],
      [join(dir, 'file', 'run'), /--out: .*file is not a folder; nothing was fitted/],
    ];
    if (existsSync('/sys/kernel')) cases.push(['/sys/kernel/nlmc-run', /--out: \/sys\/kernel\/nlmc-run: \/sys\/kernel is not writable/]);
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'ro'));
      chmodSync(join(dir, 'ro'), 0o555);
      cases.push([join(dir, 'ro'), /--out: .*ro is not writable/]);
    }
    for (const [out, message] of cases) {
      const { io, out: text } = capture();
      // 100000 epochs: the fit would take minutes, so a quick return shows that nothing was trained.
      const t0 = performance.now();
      expect(await runFit(fitArgs(out, { epochs: 100_000 }), io, () => false)).toBe(1);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(text.stderr).toMatch(message);
      expect(text.stderr).not.toMatch(/at .*\.ts:\d+|EEXIST|Usage/);
    }
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('x');
  });
});

describe('the run folder is written as a whole', () => {
  const files = (tag: string, names: string[]): [string, string][] => names.map((n) => [n, `${tag} ${n}\n`]);

  it('a new run replaces every run file of the old one and keeps the other files', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nlmc-swap-')), 'run');
    writeFolderAtomic(dir, files('A', ['estimates.csv', 'starts.csv', 'fit.json']), RUN_FILES);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    mkdirSync(join(dir, 'predict'));
    writeFileSync(join(dir, 'predict', 'individual.csv'), 'p\n');
    const w = writeFolderAtomic(dir, files('B', ['estimates.csv', 'fit.json']), RUN_FILES);
    expect(w.mode).toBe('swap');
    expect(w.written).toEqual([join(dir, 'estimates.csv'), join(dir, 'fit.json')]);
    expect(readdirSync(dir).sort()).toEqual(['estimates.csv', 'fit.json', 'notes.txt', 'predict']);
    expect(readFileSync(join(dir, 'estimates.csv'), 'utf8')).toBe('B estimates.csv\n');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(dir, 'predict', 'individual.csv'), 'utf8')).toBe('p\n');
    expect(readdirSync(join(dir, '..'))).toEqual(['run']);
  });

  it('a writer killed between the renames: the old run comes back whole; killed after: the new run, the user files recovered', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nlmc-kill-'));
    const dir = join(parent, 'run');
    const pid = deadPid();
    // Killed after renaming the old folder away, before renaming the new one in.
    mkdirSync(`${dir}.old-${pid}`);
    for (const [n, t] of files('A', ['estimates.csv', 'fit.json'])) writeFileSync(join(`${dir}.old-${pid}`, n), t);
    mkdirSync(`${dir}.tmp-${pid}`);
    writeFileSync(join(`${dir}.tmp-${pid}`, 'estimates.csv'), 'B estimates.csv\n');
    cleanFolderLeftovers(dir, RUN_FILES);
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir).sort()).toEqual(['estimates.csv', 'fit.json']);
    expect(readFileSync(join(dir, 'estimates.csv'), 'utf8')).toBe('A estimates.csv\n');
    // Killed after the swap, before the user's file was moved over; and a per-file temporary of a killed writer.
    mkdirSync(`${dir}.old-${pid}`);
    writeFileSync(join(`${dir}.old-${pid}`, 'fit.json'), 'Z\n');
    writeFileSync(join(`${dir}.old-${pid}`, 'notes.txt'), 'mine\n');
    writeFileSync(join(dir, `trace.csv.tmp-${pid}`), 'half');
    writeFolderAtomic(dir, files('C', ['estimates.csv', 'fit.json', 'trace.csv']), RUN_FILES);
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir).sort()).toEqual(['estimates.csv', 'fit.json', 'notes.txt', 'trace.csv']);
    expect(readFileSync(join(dir, 'fit.json'), 'utf8')).toBe('C fit.json\n');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('a folder with many files of its own, or the working directory, is written in place, never renamed away', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-busy-'));
    for (let k = 0; k < 40; k++) writeFileSync(join(dir, `own-${k}.txt`), `${k}\n`);
    writeFileSync(join(dir, 'starts.csv'), 'from an earlier run\n');
    const w = writeFolderAtomic(dir, files('B', ['estimates.csv', 'fit.json']), RUN_FILES);
    expect(w.mode).toBe('in-place');
    const entries = readdirSync(dir);
    expect(entries.filter((e) => e.startsWith('own-'))).toHaveLength(40);
    expect(entries.filter((e) => !e.startsWith('own-')).sort()).toEqual(['estimates.csv', 'fit.json']);
    expect(readdirSync(join(dir, '..')).filter((e) => e.startsWith(`${basename(dir)}.`))).toEqual([]);
    const cwd = process.cwd();
    const here = mkdtempSync(join(tmpdir(), 'nlmc-cwd-'));
    process.chdir(here);
    try {
      expect(writeFolderAtomic('.', files('C', ['fit.json']), RUN_FILES).mode).toBe('in-place');
      expect(readFileSync(join(here, 'fit.json'), 'utf8')).toBe('C fit.json\n');
    } finally {
      process.chdir(cwd);
    }
  });

  it('leaves the temporaries of a writer that still runs alone', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nlmc-live-'));
    const dir = join(parent, 'run');
    mkdirSync(dir);
    const live = process.ppid; // the test runner's parent runs
    writeFileSync(join(dir, `fit.json.tmp-${live}`), 'being written');
    mkdirSync(`${dir}.tmp-${live}`);
    cleanFolderLeftovers(dir, RUN_FILES);
    expect(existsSync(join(dir, `fit.json.tmp-${live}`))).toBe(true);
    expect(existsSync(`${dir}.tmp-${live}`)).toBe(true);
  });

  it('a fit into a folder with an earlier --starts run leaves no starts.csv of the earlier run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nlmc-refit-')), 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'starts.csv'), 'from an earlier run\n');
    writeFileSync(join(dir, 'fit.json'), '{}\n');
    const { io } = capture();
    expect(await runFit(fitArgs(dir), io, () => false)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['estimates.csv', 'estimates.json', 'fit.json', 'individual.csv', 'predictions.csv', 'trace.csv']);
  });
});

describe('--resume after a writer was killed between the two renames', () => {
  it('puts the old run back and resumes from it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'nlmc-resume-kill-'));
    const dir = join(parent, 'run');
    const first = capture();
    expect(await runFit(fitArgs(dir, { epochs: 1000 }), first.io, () => true)).toBe(3);
    const pid = deadPid();
    renameSync(dir, `${dir}.old-${pid}`);
    const resumed = capture();
    expect(await runFit(fitArgs(dir, { epochs: 3, resume: true }), resumed.io, () => false)).toBe(0);
    expect(resumed.out.stderr).not.toMatch(/no .*fit\.json to resume from/);
    expect(readdirSync(parent)).toEqual(['run']);
    expect((JSON.parse(readFileSync(join(dir, 'fit.json'), 'utf8')) as { complete: boolean }).complete).toBe(true);
  });
});

describe('estimates.csv says whether the fit is complete', () => {
  it('the last two columns: complete yes/no and the stop reason, on every row', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'nlmc-marker-'));
    const stopped = capture();
    expect(await runFit(fitArgs(join(parent, 'stopped'), { epochs: 1000 }), stopped.io, () => true)).toBe(3);
    const done = capture();
    expect(await runFit(fitArgs(join(parent, 'done'), { epochs: 2 }), done.io, () => false)).toBe(0);
    const table = (name: string) => readFileSync(join(parent, name, 'estimates.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    for (const [name, complete, stop] of [['stopped', 'no', 'interrupted'], ['done', 'yes', 'max-epochs']] as const) {
      const [header, ...rows] = table(name);
      expect(header!.slice(-2)).toEqual(['complete', 'stop']);
      expect(rows).toHaveLength(4);
      for (const r of rows) expect(r.slice(-2)).toEqual([complete, stop]);
    }
  });
});
