/**
 * One `nlmc fit`, start to end: the model and data checked, the run folder validated before anything is trained,
 * training, the posteriors, the maximum-likelihood finish and uncertainty step, the run folder written, the
 * convergence-assessment refits. The CLI reads the files and calls this; progress and results go to `io`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { compile } from '../../compiler/pipeline.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { formatIssue, hasDataErrors, readDataset, requirementsFromIr } from '../data/index.js';
import type { MethodChoice } from '../engine/choose-method.js';
import { selectEngine, type BackendChoice } from '../engine/select-engine.js';
import type { EncoderKind } from '../infer/encoder.js';
import { fitContextFor } from '../infer/fit-context.js';
import { POSTERIOR_FAMILY_TITLES, type PosteriorFamily } from '../infer/posterior-family.js';
import { fitFile, fitObjective, parseFitFile, type FitFile } from '../infer/fit-file.js';
import { initialVector, type PopulationLayout } from '../infer/population.js';
import { divergenceReport } from '../infer/failure-report.js';
import { initialPredictionProblems, preflightLines } from '../infer/preflight.js';
import { posteriors } from '../infer/posterior.js';
import { defaultTrainOptions, train, type EpochReport, type TrainOptions, type TrainState } from '../infer/train.js';
import { estimateRows } from '../report/estimates.js';
import { fitSummaryText } from '../report/fit-summary.js';
import { nonFinitePredictionSubjects, RUN_FILES, standardErrors, writeRunOutputs } from '../report/fit-outputs.js';
import { cleanFolderLeftovers, outputFolderProblem } from '../data/write-atomic.js';
import { Random } from '../nn/random.js';
import { clusterStarts, naturalValues, randomStart, START_RANGE, type StartRun } from '../uq/starts.js';
import { finishFit, type EstimateChoice, type FinishedFit, type LikelihoodChoice } from '../uq/finish-fit.js';

export interface FitRequest {
  readonly model: string;
  readonly data: string;
  readonly out?: string;
  readonly backend: BackendChoice;
  readonly encoder?: EncoderKind;
  readonly seed: number;
  readonly epochs: number;
  readonly samples: number;
  readonly learningRate: number;
  readonly validation: number;
  readonly patience: number;
  readonly resume: boolean;
  readonly progress: 'bar' | 'quiet' | 'json';
  readonly map: Record<string, string>;
  readonly color: boolean;
  /** The uncertainty step after the fit (default true): likelihood block, standard errors. */
  readonly uncertainty?: boolean;
  /** Monte-Carlo draws per subject for the uncertainty step (default 100). */
  readonly uqSamples?: number;
  /**
   * How the marginal likelihood is integrated (default auto: AGQ for up to 4 random effects, else the Laplace
   * importance sampler; prior/importance: the drawn estimators around q, with --estimate elbo).
   */
  readonly uqEstimator?: LikelihoodChoice;
  /** The reported estimate: the maximum-likelihood finish (default) or the variational optimum. */
  readonly estimate?: EstimateChoice;
  /** AGQ nodes per random effect. */
  readonly agqNodes?: number;
  /** Time budget of the information's Monte-Carlo control (Laplace sampler), seconds. */
  readonly uqSeconds?: number;
  /** The integration method (default auto: a measured stiffness test picks explicit or Rosenbrock). */
  readonly method?: MethodChoice;
  /** Refits from this many random initial values (convergence assessment; default 0). */
  readonly starts?: number;
  /** q's family (default: the training default; on --resume the fit's own). */
  readonly posterior?: PosteriorFamily;
  /** K of the importance-weighted bound (1: ELBO; default: the training default, on --resume the fit's). */
  readonly iwSamples?: number;
}

/** The model's text, and the data's when the model compiled (the caller reads them: files, stdin; undefined: unreadable, said). */
export interface FitTexts {
  readonly model: string;
  readonly data: () => string | undefined;
}

/** The run folder when --out is not given: model.nlm → model.fit. */
export function defaultRunFolder(modelPath: string): string {
  return modelPath.replace(/\.nlm$/, '') + '.fit';
}

/** Where a fit's progress and results go: stdout (tables, JSON progress), stderr (progress lines, problems). */
export interface FitIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly isTty: boolean;
}

/** Exit code: 0 complete, 1 bad input (nothing written), 2 unreadable data, 3 stopped early (outputs marked incomplete). */
export async function fitRun(args: FitRequest, texts: FitTexts, io: FitIo, stopRequested: () => boolean): Promise<number> {
  const inputs = checkedInputs(args, texts, io);
  if (typeof inputs === 'number') return inputs;
  const { source, compiled, ir, read, dataText } = inputs;
  if (args.progress !== 'json') io.stderr(`${read.summaryLine}\n`);
  const outDir = args.out ?? defaultRunFolder(args.model);
  const outProblem = outputFolderProblem(outDir);
  if (outProblem) {
    io.stderr(`nlmc fit: --out: ${outProblem}; nothing was fitted\n`);
    return 1;
  }
  // A writer killed mid-swap left the old run beside the folder: put it back before --resume looks for fit.json.
  try {
    cleanFolderLeftovers(outDir, RUN_FILES);
  } catch {
    /* what cannot be tidied now is tidied by the next write */
  }

  const previousFit = previousRun(args, outDir, source, io);
  if (previousFit === 1) return 1;
  let resume: TrainState | undefined;

  let ctx;
  let methodLine = '';
  try {
    const prepared = await fitContextFor(compiled, read.dataset, previousFit?.scaling, args.method ?? 'auto');
    ctx = prepared.ctx;
    methodLine = prepared.decision.reason;
  } catch (e) {
    io.stderr(`nlmc fit: ${(e as Error).message}\n`);
    return 1;
  }
  const solver = { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000, method: ctx.model.method };
  const unusable = await initialPredictionProblems(ctx, previousFit ? Float64Array.from(previousFit.population.values) : initialVector(ctx.layout), solver);
  for (const u of preflightLines(unusable)) io.stderr(`${args.data}:${u.row > 0 ? `${u.row}:` : ''} ${u.fatal ? 'error' : 'warning'}: ${u.line}\n`);
  const refused = unusable.filter((u) => u.fatal).length;
  if (refused > 0) {
    io.stderr(`nlmc fit: ${refused} subject${refused === 1 ? '' : 's'} cannot be fitted (every sample would fail); fix or remove ${refused === 1 ? 'that row' : 'those rows'}; nothing was fitted\n`);
    return 1;
  }
  let selected;
  try {
    selected = await selectEngine(ctx.model, ctx.data, solver, args.backend);
  } catch (e) {
    io.stderr(`nlmc fit: ${(e as Error).message}\n`);
    return 1;
  }
  const kind: EncoderKind = previousFit?.encoderConfig.kind ?? args.encoder ?? (ctx.inputs.regular ? 'conv' : 'gru');
  const say = (s: string): void => {
    if (args.progress !== 'json') io.stderr(`${s}\n`);
  };
  say(selected.note);
  say(methodLine);
  say(`encoder: ${kind}${args.encoder || previousFit ? '' : ` (chosen: the subjects are observed ${ctx.inputs.regular ? 'at the same times' : 'at different times'}; --encoder to change)`}`);

  const options: TrainOptions = {
    ...defaultTrainOptions, seed: args.seed, maxEpochs: args.epochs, samples: args.samples, learningRate: args.learningRate,
    validationFraction: args.validation, patience: args.patience,
    posterior: previousFit ? fitObjective(previousFit).posterior : args.posterior ?? defaultTrainOptions.posterior,
    iwSamples: args.iwSamples ?? (previousFit ? fitObjective(previousFit).iwSamples : defaultTrainOptions.iwSamples),
  };
  say(`q(η | Y): ${POSTERIOR_FAMILY_TITLES[options.posterior]}; objective: ${options.iwSamples > 1 ? `importance-weighted bound, K = ${options.iwSamples}` : 'ELBO'}${previousFit && args.posterior && args.posterior !== options.posterior ? ' (--resume keeps the fit’s family)' : ''}`);
  if (previousFit) {
    resume = {
      encoderConfig: previousFit.encoderConfig, encoder: previousFit.encoder, population: [...previousFit.population.values], epoch: previousFit.state.epoch,
      learningRate: previousFit.state.learningRate, validationSubjects: [...previousFit.state.validationSubjects],
      trace: previousFit.trace.map((r) => ({ ...r, population: Float64Array.from(r.population), failedRows: 0 })),
    };
  }
  const started = performance.now();
  const names = ctx.layout.entries.map((e) => e.name);
  const onEpoch = (r: EpochReport): void => {
    // The table's rows: network weights (nuisance parameters) are estimated too but not shown.
    const rows = estimateRows(ir, ctx.layout, r.population).filter((x) => !x.fixed);
    if (args.progress === 'json') {
      io.stdout(`${JSON.stringify({ epoch: r.epoch, elbo: r.elbo, validationElbo: r.validationElbo, gradientNorm: r.gradientNorm, learningRate: r.learningRate, estimates: Object.fromEntries(rows.map((x) => [x.name, x.estimate])) })}\n`);
    } else if (args.progress === 'bar' && io.isTty) {
      const elapsed = (performance.now() - started) / 1000;
      const eta = (elapsed / Math.max(1, r.epoch - (resume?.epoch ?? 0))) * (args.epochs - r.epoch);
      const shown = rows.slice(0, 5).map((x) => `${x.name}=${x.estimate.toPrecision(3)}`).join(' ');
      io.stderr(`\r\u001b[2Kepoch ${r.epoch}/${args.epochs}  ELBO ${(r.elbo).toFixed(3)}  ${shown}  ${elapsed.toFixed(0)}s (≤${eta.toFixed(0)}s left)`);
    }
  };
  const encoderConfig = {
    kind, stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: ctx.model.dims.neta, hidden: 16, seed: args.seed,
  };
  const initial = initialVector(ctx.layout);
  const result = await train(ctx.model, selected.engine, ctx.inputs, ctx.covariates, ctx.layout, encoderConfig, initial, options, { onEpoch, shouldStop: stopRequested }, resume);
  if (args.progress === 'bar' && io.isTty) io.stderr('\n');
  let complete = result.stop !== 'interrupted' && result.stop !== 'diverged';
  let fit = fitFile({
    complete, stop: result.stop, message: result.message, modelName: ir.name, source, dataFile: args.data, dataText, backend: selected.note,
    options, state: result.state, scaling: ctx.scaling, names,
  });
  const population = Float64Array.from(result.state.population);
  const post = await posteriors(ctx, result.encoder, population);
  const seconds = (performance.now() - started) / 1000;
  say(`${complete ? 'done' : 'stopped early'}: ${result.message} (${result.state.epoch} epochs, ${seconds.toFixed(1)} s)`);
  if (result.stop === 'diverged') {
    // Diagnosed where training drew: each subject at q's mean, with training's solver settings.
    const atMean = { subject: Int32Array.from(post.subjects, (_, i) => i), p: Float64Array.from(post.subjects.flatMap((q) => Array.from(q.p))) };
    const why = await divergenceReport(ctx.model, ctx.data, atMean, solver, {
      ids: ctx.dataset.ids, method: ctx.model.method, backend: selected.engine.backend, epoch: result.state.epoch + 1, learningRate: result.state.learningRate,
    });
    for (const line of why.lines) io.stderr(`nlmc fit: ${line}\n`);
    fit = { ...fit, message: `${fit.message}; ${why.summary}` };
  }

  let finished: FinishedFit = { population, ...post, messages: [] };
  if (complete && !stopRequested() && (args.estimate !== 'elbo' || args.uncertainty !== false)) {
    try {
      finished = await finishFit(ctx, population, post, {
        estimate: args.estimate ?? 'ml', likelihood: args.uqEstimator ?? 'auto', uncertainty: args.uncertainty !== false, seed: args.seed,
        ...(args.agqNodes ? { agqNodes: args.agqNodes } : {}), ...(args.uqSamples ? { samples: args.uqSamples } : {}), ...(args.uqSeconds ? { uqSeconds: args.uqSeconds } : {}),
        shouldStop: stopRequested,
      }, say);
      for (const m of finished.messages) io.stderr(`nlmc fit: warning: ${m}\n`);
    } catch (e) {
      io.stderr(`nlmc fit: warning: the step after training failed (${(e as Error).message}); the variational estimates are written without standard errors\n`);
    }
  }
  if (finished.interrupted) {
    // Ctrl-C during the finish: the training state is complete, the reported estimate is not; --resume redoes it.
    complete = false;
    fit = { ...fit, complete: false, stop: 'interrupted', message: `interrupted during ${args.estimate === 'elbo' ? 'the uncertainty step' : 'the maximum-likelihood finish'}` };
  }
  const uncertainty = finished.uncertainty;
  const ml = finished.maximumLikelihood;
  const outputs = { ir, layout: ctx.layout, dataset: read.dataset, fit, subjects: finished.subjects, predictions: finished.predictions, ...(uncertainty ? { uncertainty } : {}), ...(ml ? { maximumLikelihood: ml } : {}) };
  let written: string[];
  try {
    written = writeRunOutputs(outDir, outputs);
  } catch (e) {
    selected.close();
    io.stderr(`nlmc fit: cannot write the run folder ${outDir}: ${(e as Error).message}\n`);
    return 1;
  }
  const nonFinite = nonFinitePredictionSubjects(read.dataset, finished.predictions);
  if (nonFinite.length > 0) {
    io.stderr(`nlmc fit: warning: the predictions of ${nonFinite.length === 1 ? 'ID' : 'IDs'} ${nonFinite.slice(0, 10).join(', ')}${nonFinite.length > 10 ? ` and ${nonFinite.length - 10} more` : ''} are not all finite (the trajectory failed or overflowed); those cells of predictions.csv are empty\n`);
  }
  if (args.progress !== 'json') {
    io.stdout(fitSummaryText(ir, ctx.layout, population, finished.population, uncertainty, ml));
    io.stdout(`\nwrote ${written.join(', ')}\n`);
  }

  const startCount = args.starts ?? 0;
  if (complete && startCount > 0 && !stopRequested()) {
    say(`convergence assessment: ${startCount} refits from random initial values (${START_RANGE})`);
    const first: StartRun = { start: 0, seed: args.seed, initial, population, elbo: meanRecentElbo(result.state.trace), epochs: result.state.epoch, stop: result.stop, seconds };
    const runs = await refitFromRandomStarts(first, startCount, (seed, from) => train(ctx.model, selected.engine, ctx.inputs, ctx.covariates, ctx.layout, { ...encoderConfig, seed }, from, { ...options, seed }, { shouldStop: stopRequested }), ir, ctx.layout, say, stopRequested);
    const clusters = clusterStarts(ir, ctx.layout, runs, standardErrors(uncertainty));
    const separated = clusters.filter((c) => c.separated);
    if (args.progress !== 'json') {
      io.stdout(`\nconvergence over ${runs.length} runs: ${separated.length === 0 ? 'every parameter in one cluster' : `separate clusters for ${separated.map((c) => `${c.name} (${c.clusters.map((k) => `${k.center.toPrecision(4)} ×${k.size}`).join(', ')})`).join('; ')}`}\n`);
    }
    written = writeRunOutputs(outDir, { ...outputs, starts: runs });
    if (args.progress !== 'json') io.stdout(`wrote ${join(outDir, 'starts.csv')}\n`);
  }
  selected.close();
  if (args.progress === 'json') {
    io.stdout(`${JSON.stringify({ done: complete, stop: fit.stop, message: fit.message, outputs: written, ...(uncertainty?.likelihood ? { likelihood: uncertainty.likelihood } : {}) })}\n`);
  }
  if (!complete) {
    io.stderr(`nlmc fit: ${fit.message}; the outputs in ${outDir} are marked incomplete${fit.stop === 'interrupted' ? ' (continue with --resume)' : ''}\n`);
    return 3;
  }
  return 0;
}

/** The compiled model and the read dataset, or the exit code after the messages (1: errors, 2: unreadable data). */
function checkedInputs(args: FitRequest, texts: FitTexts, io: FitIo) {
  const source = texts.model;
  const compiled = compile(source);
  const report = renderDiagnostics(compiled.diagnostics, args.model, source, { color: args.color });
  if (report) io.stderr(report);
  if (hasErrors(compiled.diagnostics) || !compiled.ir) return 1;
  const ir = compiled.ir;
  const dataText = texts.data();
  if (dataText === undefined) return 2;
  const read = readDataset(dataText, args.data, requirementsFromIr(ir), { map: args.map });
  // With errors, only the errors: the warnings are mostly their echoes (no DV column: every row "has no DV").
  const noObservations = read.dataset !== undefined && read.summary.observations === 0;
  const fatal = !read.dataset || hasDataErrors(read.issues) || noObservations;
  const shown = fatal ? read.issues.filter((i) => i.severity === 'error') : read.issues;
  for (const issue of shown) io.stderr(`${formatIssue(issue, args.data)}\n`);
  if (fatal) {
    if (noObservations && shown.length === 0) {
      const why = [
        read.summary.missingDv > 0 ? `${read.summary.missingDv} observation row${read.summary.missingDv === 1 ? ' has' : 's have'} a missing DV` : '',
        read.summary.otherRows > 0 ? `${read.summary.otherRows} row${read.summary.otherRows === 1 ? ' is' : 's are'} MDV=1 or EVID=2` : '',
      ].filter((x) => x).join(', ');
      io.stderr(`nlmc fit: ${args.data}: no observations to fit${why ? ` (${why})` : ''}; nothing was fitted\n`);
    }
    const hidden = read.issues.length - shown.length;
    if (hidden > 0) io.stderr(`nlmc fit: ${args.data}: ${hidden} warning${hidden === 1 ? '' : 's'} not shown; ${shown.length > 0 ? `fix the error${shown.length === 1 ? '' : 's'} first` : 'they are about the rows without observations'}\n`);
    return 1;
  }
  return { source, compiled, ir, read: { ...read, dataset: read.dataset! }, dataText };
}

/** The run to resume (--resume), none, or 1 after the message (no fit.json, unreadable, or the model changed). */
function previousRun(args: FitRequest, outDir: string, source: string, io: FitIo): FitFile | undefined | 1 {
  if (!args.resume) return undefined;
  const path = join(outDir, 'fit.json');
  if (!existsSync(path)) {
    io.stderr(`nlmc fit --resume: no ${path} to resume from\n`);
    return 1;
  }
  let previousFit: FitFile;
  try {
    previousFit = parseFitFile(readFileSync(path, 'utf8'), path);
  } catch (e) {
    io.stderr(`nlmc fit --resume: ${(e as Error).message}\n`);
    return 1;
  }
  if (previousFit.model.source !== source) {
    io.stderr(`nlmc fit --resume: ${args.model} changed since ${path} was written; fit it afresh\n`);
    return 1;
  }
  return previousFit;
}

/** The mean training ELBO of the last 10 epochs: what the starts are compared by. */
function meanRecentElbo(trace: readonly EpochReport[]): number {
  const last = trace.slice(-10);
  return last.reduce((s, r) => s + r.elbo, 0) / Math.max(1, last.length);
}

/** The convergence assessment's refits: `count` trainings from random initial values (seed + 1000·s), after the fit's own run. */
async function refitFromRandomStarts(
  first: StartRun, count: number, trainFrom: (seed: number, from: Float64Array) => ReturnType<typeof train>,
  ir: ModelIR, layout: PopulationLayout, say: (line: string) => void, stopRequested: () => boolean,
): Promise<StartRun[]> {
  const runs = [first];
  const names = layout.entries.map((e) => e.name);
  for (let s = 1; s <= count && !stopRequested(); s++) {
    const seed = first.seed + 1000 * s;
    const from = randomStart(ir, layout, new Random(seed));
    const t0 = performance.now();
    const r = await trainFrom(seed, from);
    const run: StartRun = { start: s, seed, initial: from, population: Float64Array.from(r.state.population), elbo: meanRecentElbo(r.state.trace), epochs: r.state.epoch, stop: r.stop, seconds: (performance.now() - t0) / 1000 };
    runs.push(run);
    const shown = naturalValues(ir, layout, run.population).slice(0, 6).map((v, k) => `${names[k]}=${v.toPrecision(4)}`).join(' ');
    say(`  start ${s}/${count}: ELBO ${run.elbo.toFixed(4)}  ${shown}  (${run.epochs} epochs, ${run.seconds.toFixed(1)} s, ${r.stop})`);
  }
  return runs;
}
