/**
 * `nlmc study model.nlm --replicates N --seed S [--design FILE] [--jobs J]`: the simulation study of seed 001,
 * section 3. N datasets are simulated at the model's values (runtime/simulate; replicate r uses seed S + r − 1, so
 * `nlmc simulate --design FILE --seed S+r−1` writes the same file), each is fitted by `nlmc fit` in its own process
 * (J at a time, one per core by default), and the table — relative bias, RRMSE, empirical and mean estimated
 * variance, empirical and estimated coverage of 95 % intervals — is written for every estimated parameter.
 *
 * `--start perturbed` (the default): each fit starts away from the truth (runtime/uq/study.ts, PERTURBED_START:
 * parameters 30 % off, ω and residual-error parameters ×/÷ 1.5, directions drawn from the replicate's generator after
 * its data), from a copy of the model with those initial values, <out>/rep-001/start.nlm. `--start truth` fits the
 * model itself, from the values that simulated the data: that shows only whether a fit stays at the truth.
 *
 * Layout: <out>/rep-001/{data.csv, data.truth.csv, start.nlm, fit/ (the run folder), fit.log}, <out>/study.{csv,md,json}.
 * A replicate whose fit finished earlier for the same model and data is reused, so an interrupted study resumes.
 *
 * The fits go through an executor (runtime/uq/executor): `--executor local` (the default), a pool of processes here,
 * or `--executor slurm`, one Slurm job array (docs/cluster.md); `--dry-run` writes what would run and stops.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import type { MethodChoice } from '../engine/choose-method.js';
import { toEstimationScale } from '../../compiler/lower/lower.js';
import { correlationName } from '../../compiler/ir/model-ir.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { prepareModel } from '../engine/prepared-model.js';
import type { BackendChoice } from '../engine/select-engine.js';
import { writeFileAtomic } from '../data/write-atomic.js';
import { parseDesign } from '../simulate/design.js';
import { Random } from '../nn/random.js';
import { modelValues, simulateSubjects } from '../simulate/simulate.js';
import { subjectsFromDesign } from '../simulate/subjects.js';
import { simulatedCsv, truthCsv } from '../simulate/write-csv.js';
import { runFits, type ExecutorName } from './executor/executors.js';
import { earlierFit, failureReason, readEstimates } from './executor/fit-results.js';
import type { FitTask } from './executor/fit-task.js';
import { withStartValues } from './start-values.js';
import { PERTURBED_START, perturbedStart, studyCsv, studyMarkdown, studyTable, type ReplicateRow, type StartValue, type StudyStart } from './study.js';

export interface StudyArgs {
  readonly model: string;
  readonly replicates: number;
  readonly seed: number;
  readonly design?: string;
  /** Fits at a time (default: the number of cores). */
  readonly jobs?: number;
  readonly out?: string;
  readonly backend: BackendChoice;
  /** Passed to each fit. */
  readonly fitArgs?: readonly string[];
  /** Where each fit starts (default: perturbed). */
  readonly start?: StudyStart;
  /** Where the fits run (default: local). */
  readonly executor?: ExecutorName;
  /** Write the datasets and what would run (the sbatch script), run nothing. */
  readonly dryRun?: boolean;
  /** Extra scheduler options (`#SBATCH` lines). */
  readonly schedulerOptions?: readonly string[];
  readonly color: boolean;
  /** Integration method of the simulations (the fits get it through fitArgs); default auto. */
  readonly method?: MethodChoice;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

interface Replicate {
  readonly index: number;
  readonly dir: string;
  readonly seed: number;
  readonly data: string;
  readonly dataText: string;
  /** The model the fit reads: the study's own, or the copy with the perturbed start. */
  readonly model: string;
  readonly modelSource: string;
  readonly start: readonly StartValue[];
}

interface ReplicateOutcome {
  readonly index: number;
  readonly ok: boolean;
  readonly reused: boolean;
  readonly seconds: number;
  readonly message?: string;
  readonly rows?: ReplicateRow[];
  readonly minus2LL?: number | null;
}

/** Exit code: 0 the table was written, 1 bad input or no replicate could be fitted, 2 an unreadable file. */
export async function runStudy(args: StudyArgs, io: Io): Promise<number> {
  const plan = await studyPlan(args, io);
  if (typeof plan === 'number') return plan;
  const replicates = await simulateReplicates(args, plan, io);
  if (typeof replicates === 'number') return replicates;
  const startText = plan.startMode === 'perturbed' ? `start: perturbed (${PERTURBED_START})` : "start: the truth (the model's values)";
  io.stderr(`nlmc study: ${args.replicates} datasets simulated from ${plan.designFile} at the model's values (seeds ${args.seed}…${args.seed + args.replicates - 1}); ${startText}; ${plan.executor === 'local' ? `fitting ${Math.min(plan.jobs!, args.replicates)} at a time` : `fitting through ${plan.executor}`}\n`);
  const started = performance.now();
  const fitted = await fitReplicates(args, plan, replicates, io);
  if (typeof fitted === 'number') return fitted;
  writeStudy(args, plan, replicates, fitted, startText, (performance.now() - started) / 1000, io);
  return 0;
}

/** What the study runs: the compiled model, the design, the executor, the output folder; checked before anything is simulated. */
interface StudyPlan {
  readonly source: string;
  readonly compiled: ReturnType<typeof compile>;
  readonly ir: NonNullable<ReturnType<typeof compile>['ir']>;
  readonly design: NonNullable<ReturnType<typeof parseDesign>['design']>;
  readonly designFile: string;
  readonly executor: ExecutorName;
  readonly jobs: number | undefined;
  readonly startMode: StudyStart;
  readonly out: string;
}

async function studyPlan(args: StudyArgs, io: Io): Promise<StudyPlan | number> {
  let source: string;
  try {
    source = readFileSync(args.model, 'utf8');
  } catch {
    io.stderr(`nlmc: cannot read ${args.model}: no such file\n`);
    return 2;
  }
  if (!(Number.isInteger(args.replicates) && args.replicates >= 1)) {
    io.stderr('nlmc study: --replicates takes a whole number ≥ 1\n');
    return 1;
  }
  const executor = args.executor ?? 'local';
  const jobs = args.jobs ?? (executor === 'local' ? availableParallelism() : undefined);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) {
    io.stderr('nlmc study: --jobs takes a whole number ≥ 1\n');
    return 1;
  }
  const compiled = compile(source, { emit: RUNTIME_EMIT });
  const report = renderDiagnostics(compiled.diagnostics, args.model, source, { color: args.color });
  if (report) io.stderr(report);
  if (hasErrors(compiled.diagnostics) || !compiled.ir) return 1;
  const designFile = args.design ?? join(dirname(args.model), 'design.json');
  if (!existsSync(designFile)) {
    io.stderr(`nlmc study: no design: give --design FILE.json (there is no ${designFile})\n`);
    return args.design ? 2 : 1;
  }
  const parsed = parseDesign(readFileSync(designFile, 'utf8'), designFile);
  if (!parsed.design) {
    for (const e of parsed.errors) io.stderr(`${e}\n`);
    return 1;
  }
  const out = args.out ?? args.model.replace(/\.nlm$/, '') + '.study';
  mkdirSync(out, { recursive: true });
  return { source, compiled, ir: compiled.ir, design: parsed.design, designFile, executor, jobs, startMode: args.start ?? 'perturbed', out };
}

/** Every replicate's dataset (cheap, in this process), its truth and, for a perturbed start, its model copy. */
async function simulateReplicates(args: StudyArgs, plan: StudyPlan, io: Io): Promise<Replicate[] | number> {
  const { ir, compiled, source, out } = plan;
  const model = await prepareModel(compiled);
  const values = modelValues(ir);
  const replicates: Replicate[] = [];
  for (let r = 1; r <= args.replicates; r++) {
    const seed = args.seed + r - 1;
    const random = new Random(seed);
    const built = subjectsFromDesign(ir, plan.design, random);
    if (!built.subjects) {
      for (const e of built.errors) io.stderr(`${plan.designFile}: ${e}\n`);
      return 1;
    }
    let simulated;
    try {
      simulated = await simulateSubjects(ir, model, built.subjects, values, random, { method: args.method ?? 'auto' });
    } catch (e) {
      io.stderr(`nlmc study: replicate ${r}: ${(e as Error).message}\n`);
      return 1;
    }
    const dir = join(out, `rep-${String(r).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    const dataText = simulatedCsv(ir, simulated);
    writeFileAtomic(join(dir, 'data.csv'), dataText);
    writeFileAtomic(join(dir, 'data.truth.csv'), truthCsv(ir, simulated));
    let replicateModel = { model: args.model, modelSource: source, start: [] as StartValue[] };
    if (plan.startMode === 'perturbed') {
      // The directions come from the replicate's generator, after its data.
      const startValues = perturbedStart(compiled.checked!, random);
      const copy = withStartValues(source, compiled.ast, startValues);
      if ('error' in copy) {
        io.stderr(`nlmc study: ${copy.error}\n`);
        return 1;
      }
      writeFileAtomic(join(dir, 'start.nlm'), copy.source);
      replicateModel = { model: join(dir, 'start.nlm'), modelSource: copy.source, start: startValues };
    }
    replicates.push({ index: r, dir, seed, data: join(dir, 'data.csv'), dataText, ...replicateModel });
  }
  return replicates;
}

/** The fits through the executor (finished replicates of an earlier run reused), in replicate order; 0 after a dry run. */
async function fitReplicates(args: StudyArgs, plan: StudyPlan, replicates: readonly Replicate[], io: Io): Promise<ReplicateOutcome[] | number> {
  const outcomes: ReplicateOutcome[] = [];
  const byTask = new Map(replicates.map((r) => [r.index, r]));
  const tasks: FitTask[] = replicates.map((rep) => ({
    index: rep.index, label: `replicate ${rep.index}`, log: join(rep.dir, 'fit.log'),
    args: ['fit', rep.model, '--data', rep.data, '--out', join(rep.dir, 'fit'), '--seed', String(rep.seed), '--quiet', '--backend', args.backend, ...(args.fitArgs ?? [])],
    finished: () => earlierFit(join(rep.dir, 'fit'), rep.modelSource, rep.dataText),
  }));
  const context = { folder: join(plan.out, plan.executor), ...(plan.jobs !== undefined ? { jobs: plan.jobs } : {}), dryRun: args.dryRun ?? false, name: 'study', schedulerOptions: args.schedulerOptions ?? [], stderr: io.stderr };
  const ran = await runFits(tasks, plan.executor, context, (end) => {
    const rep = byTask.get(end.task.index)!;
    const estimates = readEstimates(join(rep.dir, 'fit'));
    const ok = end.code === 0 && estimates?.complete === true;
    const outcome: ReplicateOutcome = ok
      ? { index: rep.index, ok, reused: end.reused, seconds: end.seconds, rows: estimates!.rows, minus2LL: estimates!.minus2LL, ...(estimates!.messages.length > 0 ? { message: estimates!.messages.join('; ') } : {}) }
      : { index: rep.index, ok, reused: end.reused, seconds: end.seconds, message: `fit exited with code ${end.code}: ${failureReason(end.task.log, end.code, end.reason)}; see ${end.task.log}` };
    outcomes.push(outcome);
    const shown = outcome.rows?.filter((x) => !x.fixed).slice(0, 5).map((x) => `${x.name}=${x.estimate.toPrecision(4)}${x.se !== null ? `±${x.se.toPrecision(2)}` : ''}`).join(' ') ?? '';
    io.stderr(`  replicate ${rep.index} (${outcomes.length}/${replicates.length}): ${ok ? `${end.reused ? 'reused' : `${end.seconds.toFixed(1)} s`}  ${shown}` : 'failed'}${outcome.message ? `  [${outcome.message}]` : ''}\n`);
  });
  if (ran.kind === 'error') {
    io.stderr(`nlmc study: ${ran.message}\n`);
    return 1;
  }
  if (ran.kind === 'dry-run') {
    io.stderr(`nlmc study: dry run: ${outcomes.length} replicate(s) already fitted; wrote ${ran.files.length > 0 ? ran.files.join(', ') : 'nothing'}; to fit the rest, run:\n`);
    io.stdout(`${ran.command}\n`);
    return 0;
  }
  outcomes.sort((a, b) => a.index - b.index);
  if (!outcomes.some((o) => o.ok)) {
    io.stderr(`nlmc study: no replicate could be fitted (see the fit.log files in ${plan.out})\n`);
    return 1;
  }
  return outcomes;
}

/** The table against the truth (estimation scale for parameters, natural for ω and error parameters): study.csv, .md, .json. */
function writeStudy(args: StudyArgs, plan: StudyPlan, replicates: readonly Replicate[], outcomes: readonly ReplicateOutcome[], startText: string, wall: number, io: Io): void {
  const { ir, out, executor, jobs, startMode, designFile } = plan;
  const values = modelValues(ir);
  const truth = new Map<string, number>();
  ir.parameters.forEach((p, k) => truth.set(p.name, toEstimationScale(p.transform, values.parameters[k]!)));
  ir.randomEffects.forEach((r, k) => truth.set(r.omegaName, values.omegas[k]!));
  ir.correlations.forEach((c, k) => truth.set(correlationName(ir, c), values.correlations[k]!));
  ir.errorParameters.forEach((e, k) => truth.set(e.name, values.errorParameters[k]!));
  const fitted = outcomes.filter((o) => o.ok);
  const table = studyTable(truth, fitted.map((o) => o.rows!));
  const markdown = studyMarkdown(table);
  writeFileAtomic(join(out, 'study.csv'), studyCsv(table));
  writeFileAtomic(join(out, 'study.md'), `# Simulation study: ${ir.name}\n\n${fitted.length} of ${replicates.length} replicates fitted (design ${designFile}, seeds ${args.seed}…${args.seed + args.replicates - 1}, ${executor === 'local' ? `${jobs} at a time` : `through ${executor}`}, ${wall.toFixed(0)} s).\n\nFits' ${startText}.\n\n${markdown}`);
  const startOf = new Map(replicates.map((r) => [r.index, r.start]));
  writeFileAtomic(join(out, 'study.json'), `${JSON.stringify({
    model: ir.name, design: designFile, seed: args.seed, replicates: replicates.length, fitted: fitted.length, executor, jobs: jobs ?? null, seconds: wall,
    start: startMode, ...(startMode === 'perturbed' ? { startRule: PERTURBED_START } : {}), table,
    runs: outcomes.map((o) => ({
      replicate: o.index, ok: o.ok, reused: o.reused, seconds: o.seconds, minus2LL: o.minus2LL ?? null, ...(o.message ? { message: o.message } : {}),
      start: Object.fromEntries((startOf.get(o.index) ?? []).map((v) => [v.name, v.start])), estimates: o.rows ?? null,
    })),
  }, null, 2)}\n`);
  io.stdout(`${markdown}\n${startText}\n${fitted.length} of ${replicates.length} replicates fitted in ${wall.toFixed(0)} s; wrote ${join(out, 'study.csv')}, ${join(out, 'study.md')}, ${join(out, 'study.json')}\n`);
}
