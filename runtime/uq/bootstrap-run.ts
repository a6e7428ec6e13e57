/**
 * `nlmc bootstrap`'s orchestration (docs/uncertainty.md, "Bootstrap"): the fit to the data, B refits to datasets
 * resampled by subject, and — for BCa — one leave-one-subject-out refit per subject (the jackknife), all through
 * the batch runner that `nlmc study` uses (executor/), so they run as local processes or as one Slurm job array and
 * an interrupted bootstrap resumes where it stopped.
 *
 * Layout: <out>/original/{fit/, fit.log}; <out>/sample-001/{data.csv, fit/, fit.log}; <out>/jackknife-001/…;
 * <out>/bootstrap.{csv,md,json}, <out>/samples.csv. Sample b is drawn by the generator seeded with S + b − 1 and
 * refitted with that seed; every fit starts from the model's initial values (not from the fit to the data), so all
 * of them can run at once. The refits skip the uncertainty step (--no-uncertainty): only their estimates are used.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { formatIssue, hasDataErrors, readDataset, requirementsFromIr } from '../data/index.js';
import type { BackendChoice } from '../engine/select-engine.js';
import { writeFileAtomic } from '../data/write-atomic.js';
import { Random } from '../nn/random.js';
import { bootstrapCsv, bootstrapMarkdown, bootstrapTable, drawSubjects, samplesCsv, subjectBlocks, subjectsCsv } from './bootstrap.js';
import { runFits, type ExecutorName } from './executor/executors.js';
import { earlierFit, failureReason, readEstimates, type FitResult } from './executor/fit-results.js';
import type { FitTask, TaskEnd } from './executor/fit-task.js';

export interface BootstrapArgs {
  readonly model: string;
  readonly data: string;
  /** B, the number of resampled datasets. */
  readonly samples: number;
  readonly seed: number;
  /** A column (a covariate) to resample within: each of its values keeps its number of subjects. */
  readonly stratify?: string;
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number;
  /** BCa intervals, from n more (jackknife) fits; false: percentile intervals only. */
  readonly bca: boolean;
  readonly jobs?: number;
  readonly out?: string;
  readonly backend: BackendChoice;
  readonly map: Readonly<Record<string, string>>;
  /** Passed to every fit. */
  readonly fitArgs?: readonly string[];
  readonly executor?: ExecutorName;
  readonly dryRun?: boolean;
  readonly schedulerOptions?: readonly string[];
  readonly color: boolean;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };
type Role = 'original' | 'sample' | 'jackknife';

interface Job {
  readonly task: FitTask;
  readonly role: Role;
  /** Sample b or left-out subject i (1-based); 0 for the fit to the data. */
  readonly number: number;
  readonly dir: string;
}

interface Finished {
  readonly job: Job;
  readonly result?: FitResult;
  readonly reason?: string;
  readonly reused: boolean;
}

function readText(file: string, io: Io): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    io.stderr(`nlmc: cannot read ${file}: no such file\n`);
    return undefined;
  }
}

function validArgs(args: BootstrapArgs, io: Io): boolean {
  const problems = [
    Number.isInteger(args.samples) && args.samples >= 2 ? '' : '--samples takes a whole number ≥ 2',
    args.level === undefined || (args.level > 0 && args.level < 1) ? '' : '--level takes a number between 0 and 1 (0.95)',
    args.jobs === undefined || (Number.isInteger(args.jobs) && args.jobs >= 1) ? '' : '--jobs takes a whole number ≥ 1',
  ].filter((p) => p);
  for (const p of problems) io.stderr(`nlmc bootstrap: ${p}\n`);
  return problems.length === 0;
}

/** Exit code: 0 the table was written (or the dry run's files), 1 bad input or too few refits, 2 an unreadable file. */
export async function runBootstrap(args: BootstrapArgs, io: Io): Promise<number> {
  if (!validArgs(args, io)) return 1;
  const source = readText(args.model, io);
  if (source === undefined) return 2;
  const compiled = compile(source, { emit: RUNTIME_EMIT });
  const report = renderDiagnostics(compiled.diagnostics, args.model, source, { color: args.color });
  if (report) io.stderr(report);
  if (hasErrors(compiled.diagnostics) || !compiled.ir) return 1;
  const dataText = readText(args.data, io);
  if (dataText === undefined) return 2;
  // The data must be fit for the model before anything is resampled: the same check as `nlmc fit`.
  const read = readDataset(dataText, args.data, requirementsFromIr(compiled.ir), { map: args.map });
  if (!read.dataset || hasDataErrors(read.issues)) {
    for (const issue of read.issues.filter((i) => i.severity === 'error')) io.stderr(`${formatIssue(issue, args.data)}\n`);
    return 1;
  }
  const stratifyColumn = args.stratify === undefined ? undefined : args.map[args.stratify] ?? args.stratify;
  const blocks = subjectBlocks(dataText, args.data, args.map['ID'] ?? 'ID', stratifyColumn);
  if ('error' in blocks) {
    io.stderr(`nlmc bootstrap: ${blocks.error}\n`);
    return 1;
  }
  const n = blocks.subjects.length;
  const out = args.out ?? args.model.replace(/\.nlm$/, '') + '.bootstrap';
  const level = args.level ?? 0.95;
  const executor = args.executor ?? 'local';

  // The batch: the fit to the data (task 1), the B samples (2…B+1), then the n jackknife fits.
  const jobs: Job[] = [];
  const mapArgs = Object.entries(args.map).flatMap(([k, v]) => ['--map', `${k}=${v}`]);
  const add = (role: Role, number: number, dir: string, data: string, text: string, seed: number): void => {
    const index = jobs.length + 1;
    const fitDir = join(dir, 'fit');
    const label = role === 'original' ? 'the fit to the data' : `${role} ${number}`;
    const extra = role === 'original' ? [] : ['--no-uncertainty'];
    jobs.push({
      role, number, dir,
      task: {
        index, label, log: join(dir, 'fit.log'),
        args: ['fit', args.model, '--data', data, '--out', fitDir, '--seed', String(seed), '--quiet', '--backend', args.backend, ...mapArgs, ...extra, ...(args.fitArgs ?? [])],
        finished: () => earlierFit(fitDir, source, text),
      },
    });
  };
  const folder = (role: Role, k: number): string => {
    const dir = join(out, `${role}-${String(k).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  mkdirSync(join(out, 'original'), { recursive: true });
  add('original', 0, join(out, 'original'), args.data, dataText, args.seed);
  for (let b = 1; b <= args.samples; b++) {
    const dir = folder('sample', b);
    const text = subjectsCsv(blocks, drawSubjects(blocks, new Random(args.seed + b - 1)), true);
    writeFileAtomic(join(dir, 'data.csv'), text);
    add('sample', b, dir, join(dir, 'data.csv'), text, args.seed + b - 1);
  }
  if (args.bca) {
    for (let i = 1; i <= n; i++) {
      const dir = folder('jackknife', i);
      const text = subjectsCsv(blocks, blocks.subjects.map((_, k) => k).filter((k) => k !== i - 1), false);
      writeFileAtomic(join(dir, 'data.csv'), text);
      add('jackknife', i, dir, join(dir, 'data.csv'), text, args.seed);
    }
  }
  const strata = new Set(blocks.subjects.map((s) => s.stratum)).size;
  io.stderr(`nlmc bootstrap: ${args.samples} datasets of ${n} subjects resampled from ${args.data}${stratifyColumn ? ` within ${strata} strata of ${stratifyColumn}` : ''} (seeds ${args.seed}…${args.seed + args.samples - 1})${args.bca ? `, ${n} jackknife fits for BCa` : ''}; ${jobs.length} fits through ${executor}\n`);

  const started = performance.now();
  const byIndex = new Map(jobs.map((j) => [j.task.index, j]));
  const finished: Finished[] = [];
  const onEnd = (end: TaskEnd): void => {
    const job = byIndex.get(end.task.index)!;
    const result = readEstimates(join(job.dir, 'fit'));
    const ok = end.code === 0 && result?.complete === true;
    const reason = ok ? undefined
      : end.code === 0 ? `the fit did not finish${result?.stop ? `: ${result.stop}` : ''}`
      : failureReason(end.task.log, end.code, end.reason).split(job.dir).join(`<${job.role}>`);
    finished.push({ job, ...(ok ? { result } : { reason }), reused: end.reused });
    io.stderr(`  ${end.task.label} (${finished.length}/${jobs.length}): ${ok ? (end.reused ? 'reused' : `${end.seconds.toFixed(1)} s`) : `failed: ${reason}`}\n`);
  };
  const ran = await runFits(jobs.map((j) => j.task), executor, {
    folder: join(out, executor), ...(args.jobs !== undefined ? { jobs: args.jobs } : {}), dryRun: args.dryRun ?? false, name: 'bootstrap', schedulerOptions: args.schedulerOptions ?? [], stderr: io.stderr,
  }, onEnd);
  if (ran.kind === 'error') {
    io.stderr(`nlmc bootstrap: ${ran.message}\n`);
    return 1;
  }
  if (ran.kind === 'dry-run') {
    io.stderr(`nlmc bootstrap: dry run: ${finished.length} of ${jobs.length} fits already done; wrote ${ran.files.length > 0 ? ran.files.join(', ') : 'nothing'}; to run the rest:\n`);
    io.stdout(`${ran.command}\n`);
    return 0;
  }
  return writeResults(args, out, level, finished, jobs.length, (performance.now() - started) / 1000, io);
}

function writeResults(args: BootstrapArgs, out: string, level: number, finished: readonly Finished[], total: number, seconds: number, io: Io): number {
  const of = (role: Role): Finished[] => finished.filter((f) => f.job.role === role).sort((a, b) => a.job.number - b.job.number);
  const original = of('original')[0]!;
  if (!original.result) {
    io.stderr(`nlmc bootstrap: the fit to the data failed (${original.reason}); see ${original.job.task.log}\n`);
    return 1;
  }
  const samples = of('sample');
  const fitted = samples.filter((s) => s.result);
  const failures = samples.filter((s) => !s.result).map((s) => ({ sample: s.job.number, reason: s.reason! }));
  if (fitted.length < 2) {
    io.stderr(`nlmc bootstrap: only ${fitted.length} of ${samples.length} refits finished: no interval (reasons: ${[...new Set(failures.map((f) => f.reason))].join('; ')})\n`);
    return 1;
  }
  const jackknife = args.bca ? of('jackknife') : null;
  const jackknifeFitted = jackknife?.filter((j) => j.result) ?? null;
  const table = bootstrapTable(original.result.rows, fitted.map((s) => s.result!.rows), jackknifeFitted?.map((j) => j.result!.rows) ?? null, level);
  const reasons = new Map<string, number>();
  for (const f of failures) reasons.set(f.reason, (reasons.get(f.reason) ?? 0) + 1);
  const failureText = failures.length === 0 ? 'no refit failed' : `${failures.length} of ${samples.length} refits failed, left out of the intervals: ${[...reasons].map(([r, k]) => `${k} × ${r}`).join('; ')}`;
  const jackknifeText = jackknife ? `BCa acceleration from ${jackknifeFitted!.length} of ${jackknife.length} leave-one-subject-out fits` : 'no BCa (--no-bca)';
  const markdown = bootstrapMarkdown(table, level);
  const names = original.result.rows.filter((r) => !r.fixed).map((r) => r.name);
  writeFileAtomic(join(out, 'bootstrap.csv'), bootstrapCsv(table));
  writeFileAtomic(join(out, 'samples.csv'), samplesCsv(names, fitted.map((s) => ({ sample: s.job.number, rows: s.result!.rows }))));
  writeFileAtomic(join(out, 'bootstrap.md'), `# Bootstrap: ${args.model}\n\n${fitted.length} of ${samples.length} resampled datasets refitted (${args.data}, seeds ${args.seed}…${args.seed + args.samples - 1}${args.stratify ? `, stratified by ${args.stratify}` : ''}, ${seconds.toFixed(0)} s); ${jackknifeText}.\n\n${markdown}\n${failureText}.\n`);
  writeFileAtomic(join(out, 'bootstrap.json'), `${JSON.stringify({
    model: args.model, data: args.data, seed: args.seed, samples: samples.length, fitted: fitted.length, level, stratify: args.stratify ?? null,
    bca: args.bca, jackknife: jackknife ? { fits: jackknife.length, fitted: jackknifeFitted!.length } : null, seconds, fits: total,
    reused: finished.filter((f) => f.reused).length, table, failures, failureReasons: Object.fromEntries(reasons),
  }, null, 2)}\n`);
  io.stdout(`${markdown}\n${failureText}; ${jackknifeText}\n${fitted.length} of ${samples.length} refits in ${seconds.toFixed(0)} s; wrote ${['bootstrap.csv', 'bootstrap.md', 'bootstrap.json', 'samples.csv'].map((f) => join(out, f)).join(', ')}\n`);
  return 0;
}
