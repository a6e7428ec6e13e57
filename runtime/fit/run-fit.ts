/**
 * One `nlmc fit`, start to end, as phases: the inputs checked and the run folder validated before anything is trained
 * (fit-inputs.ts), the engine chosen, training, the posteriors, the maximum-likelihood finish and uncertainty step,
 * the run folder written, the convergence-assessment refits (random-starts.ts). The CLI reads the files and calls
 * this; progress and results go to `io`.
 */
import { join } from 'node:path';
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/index.js';
import { selectEngine } from '../engine/select-engine.js';
import type { EncoderConfig, EncoderKind } from '../infer/encoder.js';
import { fitContextFor, type FitContext } from '../infer/fit-context.js';
import { fitFile, fitObjective, type FitFile } from '../infer/fit-file.js';
import { initialVector } from '../infer/population.js';
import { divergenceReport } from '../infer/failure-report.js';
import { objectiveTitle, POSTERIOR_FAMILY_TITLES } from '../infer/posterior-family.js';
import { initialPredictionProblems, preflightLines } from '../infer/preflight.js';
import { posteriors } from '../infer/posterior.js';
import { defaultTrainOptions, train, type EpochReport, type TrainOptions, type TrainResult, type TrainState } from '../infer/train.js';
import { estimateRows } from '../report/estimates.js';
import { fitSummaryText } from '../report/fit-summary.js';
import { nonFinitePredictionSubjects, RUN_FILES, standardErrors, writeRunOutputs } from '../report/fit-outputs.js';
import { cleanFolderLeftovers, outputFolderProblem } from '../data/write-atomic.js';
import { finishFit, finishOptionsProblem, type FinishedFit } from '../uq/finish-fit.js';
import { checkedInputs, previousRun } from './fit-inputs.js';
import { defaultRunFolder, type FitIo, type FitRequest, type FitTexts } from './fit-request.js';
import { assessStarts, firstStart } from './random-starts.js';

export { defaultRunFolder, type FitIo, type FitRequest, type FitTexts } from './fit-request.js';

/** The solver settings of training, the preflight and the divergence diagnosis. */
const trainingSolver = (method: FitContext['model']['method']) => ({ rtol: 1e-6, atol: 1e-8, maxSteps: 100_000, method });

/** Exit code: 0 complete, 1 bad input (nothing written), 2 unreadable data, 3 stopped early (outputs marked incomplete). */
export async function fitRun(args: FitRequest, texts: FitTexts, io: FitIo, stopRequested: () => boolean): Promise<number> {
  const say = (s: string): void => {
    if (args.progress !== 'json') io.stderr(`${s}\n`);
  };
  const setup = await setUp(args, texts, io, say);
  if (typeof setup === 'number') return setup;
  const { ir, ctx, dataset, outDir, engine } = setup;
  try {
    const trained = await trainPhase(args, setup, io, say, stopRequested);
    let { fit, complete } = trained;
    const finished = await finishPhase(args, ctx, trained, io, say, stopRequested);
    if (finished.interrupted) {
      // Ctrl-C during the finish: the training state is complete, the reported estimate is not; --resume redoes it.
      complete = false;
      fit = { ...fit, complete: false, stop: 'interrupted', message: `interrupted during ${args.estimate === 'elbo' ? 'the uncertainty step' : 'the maximum-likelihood finish'}` };
    }
    const uncertainty = finished.uncertainty;
    const ml = finished.maximumLikelihood;
    const outputs = { ir, layout: ctx.layout, dataset, fit, subjects: finished.subjects, predictions: finished.predictions, ...(uncertainty ? { uncertainty } : {}), ...(ml ? { maximumLikelihood: ml } : {}) };
    let written: string[];
    try {
      written = writeRunOutputs(outDir, outputs);
    } catch (e) {
      io.stderr(`nlmc fit: cannot write the run folder ${outDir}: ${(e as Error).message}\n`);
      return 1;
    }
    warnNonFinitePredictions(dataset, finished, io);
    if (args.progress !== 'json') {
      io.stdout(fitSummaryText(ir, ctx.layout, trained.population, finished.population, uncertainty, ml));
      io.stdout(`\nwrote ${written.join(', ')}\n`);
    }
    const startCount = args.starts ?? 0;
    if (complete && startCount > 0 && !stopRequested()) {
      const trainFrom = (seed: number, from: Float64Array): Promise<TrainResult> =>
        train(ctx.model, engine.engine, ctx.inputs, ctx.covariates, ctx.layout, { ...trained.encoderConfig, seed }, from, { ...trained.options, seed }, { shouldStop: stopRequested });
      const first = firstStart(args.seed, trained.initial, trained.population, trained.result, trained.seconds);
      const starts = await assessStarts(first, startCount, trainFrom, ir, ctx.layout, standardErrors(uncertainty), say, stopRequested);
      if (args.progress !== 'json') io.stdout(`\n${starts.summary}\n`);
      written = writeRunOutputs(outDir, { ...outputs, starts: starts.runs });
      if (args.progress !== 'json') io.stdout(`wrote ${join(outDir, 'starts.csv')}\n`);
    }
    if (args.progress === 'json') {
      io.stdout(`${JSON.stringify({ done: complete, stop: fit.stop, message: fit.message, outputs: written, ...(uncertainty?.likelihood ? { likelihood: uncertainty.likelihood } : {}) })}\n`);
    }
    if (!complete) {
      io.stderr(`nlmc fit: ${fit.message}; the outputs in ${outDir} are marked incomplete${fit.stop === 'interrupted' ? ' (continue with --resume)' : ''}\n`);
      return 3;
    }
    return 0;
  } finally {
    engine.close();
  }
}

interface FitSetup {
  readonly ir: ModelIR;
  readonly source: string;
  readonly dataText: string;
  readonly dataset: Dataset;
  readonly ctx: FitContext;
  readonly outDir: string;
  readonly previousFit: FitFile | undefined;
  readonly engine: Awaited<ReturnType<typeof selectEngine>>;
}

/** Everything checked before training: inputs, the run folder, the run to resume, the context, the preflight, the engine. */
async function setUp(args: FitRequest, texts: FitTexts, io: FitIo, say: (s: string) => void): Promise<FitSetup | number> {
  // A finish that cannot run is refused before the data are read, not after the training.
  const optionsProblem = finishOptionsProblem(args.estimate ?? 'ml', args.uqEstimator ?? 'auto');
  if (optionsProblem) {
    io.stderr(`nlmc fit: ${optionsProblem}; nothing was fitted\n`);
    return 1;
  }
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
  let ctx: FitContext;
  let methodLine: string;
  try {
    const prepared = await fitContextFor(compiled, read.dataset, previousFit?.scaling, args.method ?? 'auto');
    ctx = prepared.ctx;
    methodLine = prepared.decision.reason;
  } catch (e) {
    io.stderr(`nlmc fit: ${(e as Error).message}\n`);
    return 1;
  }
  const solver = trainingSolver(ctx.model.method);
  const unusable = await initialPredictionProblems(ctx, previousFit ? Float64Array.from(previousFit.population.values) : initialVector(ctx.layout), solver);
  for (const u of preflightLines(unusable)) io.stderr(`${args.data}:${u.row > 0 ? `${u.row}:` : ''} ${u.fatal ? 'error' : 'warning'}: ${u.line}\n`);
  const refused = unusable.filter((u) => u.fatal).length;
  if (refused > 0) {
    io.stderr(`nlmc fit: ${refused} subject${refused === 1 ? '' : 's'} cannot be fitted (every sample would fail); fix or remove ${refused === 1 ? 'that row' : 'those rows'}; nothing was fitted\n`);
    return 1;
  }
  let engine;
  try {
    engine = await selectEngine(ctx.model, ctx.data, solver, args.backend);
  } catch (e) {
    io.stderr(`nlmc fit: ${(e as Error).message}\n`);
    return 1;
  }
  say(engine.note);
  say(methodLine);
  return { ir, source, dataText, dataset: read.dataset, ctx, outDir, previousFit, engine };
}

interface Trained {
  readonly result: TrainResult;
  readonly options: TrainOptions;
  readonly encoderConfig: EncoderConfig;
  readonly initial: Float64Array;
  readonly population: Float64Array;
  readonly posteriors: Awaited<ReturnType<typeof posteriors>>;
  readonly fit: FitFile;
  readonly complete: boolean;
  readonly seconds: number;
}

/** Training (or its continuation), the posteriors at its end, and the fit file; a divergence is diagnosed per subject. */
async function trainPhase(args: FitRequest, setup: FitSetup, io: FitIo, say: (s: string) => void, stopRequested: () => boolean): Promise<Trained> {
  const { ctx, previousFit, ir, engine } = setup;
  const kind: EncoderKind = previousFit?.encoderConfig.kind ?? args.encoder ?? (ctx.inputs.regular ? 'conv' : 'gru');
  say(`encoder: ${kind}${args.encoder || previousFit ? '' : ` (chosen: the subjects are observed ${ctx.inputs.regular ? 'at the same times' : 'at different times'}; --encoder to change)`}`);
  const options = trainOptions(args, previousFit);
  say(`q(η | Y): ${POSTERIOR_FAMILY_TITLES[options.posterior]}; objective: ${objectiveTitle(options.posterior, options.iwSamples)}${previousFit && args.posterior && args.posterior !== options.posterior ? ' (--resume keeps the fit’s family)' : ''}`);
  const resume = previousFit ? resumeState(previousFit) : undefined;
  const started = performance.now();
  const encoderConfig: EncoderConfig = {
    kind, stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: ctx.model.dims.neta, hidden: 16, seed: args.seed,
  };
  const initial = initialVector(ctx.layout);
  const onEpoch = epochReporter(args, io, ir, ctx, started, resume?.epoch ?? 0);
  const result = await train(ctx.model, engine.engine, ctx.inputs, ctx.covariates, ctx.layout, encoderConfig, initial, options, { onEpoch, shouldStop: stopRequested }, resume);
  if (args.progress === 'bar' && io.isTty) io.stderr('\n');
  const complete = result.stop !== 'interrupted' && result.stop !== 'diverged';
  let fit = fitFile({
    complete, stop: result.stop, message: result.message, modelName: ir.name, source: setup.source, dataFile: args.data, dataText: setup.dataText, backend: engine.note,
    options, state: result.state, scaling: ctx.scaling, names: ctx.layout.entries.map((e) => e.name),
  });
  const population = Float64Array.from(result.state.population);
  const post = await posteriors(ctx, result.encoder, population);
  const seconds = (performance.now() - started) / 1000;
  say(`${complete ? 'done' : 'stopped early'}: ${result.message} (${result.state.epoch} epochs, ${seconds.toFixed(1)} s)`);
  if (result.stop === 'diverged') {
    // Diagnosed where training drew: each subject at q's mean, with training's solver settings.
    const atMean = { subject: Int32Array.from(post.subjects, (_, i) => i), p: Float64Array.from(post.subjects.flatMap((q) => Array.from(q.p))) };
    const why = await divergenceReport(ctx.model, ctx.data, atMean, trainingSolver(ctx.model.method), {
      ids: ctx.dataset.ids, method: ctx.model.method, backend: engine.engine.backend, epoch: result.state.epoch + 1, learningRate: result.state.learningRate,
    });
    for (const line of why.lines) io.stderr(`nlmc fit: ${line}\n`);
    fit = { ...fit, message: `${fit.message}; ${why.summary}` };
  }
  return { result, options, encoderConfig, initial, population, posteriors: post, fit, complete, seconds };
}

/** The training options: the request's, with the family and bound of the run being resumed. */
function trainOptions(args: FitRequest, previousFit: FitFile | undefined): TrainOptions {
  return {
    ...defaultTrainOptions, seed: args.seed, maxEpochs: args.epochs, samples: args.samples, learningRate: args.learningRate,
    validationFraction: args.validation, patience: args.patience,
    posterior: previousFit ? fitObjective(previousFit).posterior : args.posterior ?? defaultTrainOptions.posterior,
    iwSamples: args.iwSamples ?? (previousFit ? fitObjective(previousFit).iwSamples : defaultTrainOptions.iwSamples),
  };
}

function resumeState(previousFit: FitFile): TrainState {
  return {
    encoderConfig: previousFit.encoderConfig, encoder: previousFit.encoder, population: [...previousFit.population.values], epoch: previousFit.state.epoch,
    learningRate: previousFit.state.learningRate, validationSubjects: [...previousFit.state.validationSubjects],
    trace: previousFit.trace.map((r) => ({ ...r, population: Float64Array.from(r.population), failedRows: 0 })),
  };
}

/** The per-epoch progress: a JSON line, or a progress bar on a terminal. */
function epochReporter(args: FitRequest, io: FitIo, ir: ModelIR, ctx: FitContext, started: number, firstEpoch: number): (r: EpochReport) => void {
  return (r) => {
    // The table's rows: network weights (nuisance parameters) are estimated too but not shown.
    const rows = estimateRows(ir, ctx.layout, r.population).filter((x) => !x.fixed);
    if (args.progress === 'json') {
      io.stdout(`${JSON.stringify({ epoch: r.epoch, elbo: r.elbo, validationElbo: r.validationElbo, gradientNorm: r.gradientNorm, learningRate: r.learningRate, estimates: Object.fromEntries(rows.map((x) => [x.name, x.estimate])) })}\n`);
    } else if (args.progress === 'bar' && io.isTty) {
      const elapsed = (performance.now() - started) / 1000;
      const eta = (elapsed / Math.max(1, r.epoch - firstEpoch)) * (args.epochs - r.epoch);
      const shown = rows.slice(0, 5).map((x) => `${x.name}=${x.estimate.toPrecision(3)}`).join(' ');
      io.stderr(`\r\u001b[2Kepoch ${r.epoch}/${args.epochs}  ELBO ${(r.elbo).toFixed(3)}  ${shown}  ${elapsed.toFixed(0)}s (≤${eta.toFixed(0)}s left)`);
    }
  };
}

/** The maximum-likelihood finish and uncertainty step after a complete training; the variational estimates otherwise. */
async function finishPhase(args: FitRequest, ctx: FitContext, trained: Trained, io: FitIo, say: (s: string) => void, stopRequested: () => boolean): Promise<FinishedFit> {
  const variational: FinishedFit = { population: trained.population, ...trained.posteriors, messages: [] };
  if (!trained.complete || stopRequested() || (args.estimate === 'elbo' && args.uncertainty === false)) return variational;
  if (trained.options.posterior === 'autoencoder' && args.estimate === 'elbo') {
    // No ω was estimated and q is a point mass: an uncertainty step at the trained values would give ω an SE.
    say('no uncertainty step for the autoencoder with --estimate elbo: it estimates no ω (kept at its initial value) and has no posterior spread; the trained values are written without standard errors (the default --estimate ml estimates ω in the maximum-likelihood finish)');
    return variational;
  }
  try {
    const finished = await finishFit(ctx, trained.population, trained.posteriors, {
      estimate: args.estimate ?? 'ml', likelihood: args.uqEstimator ?? 'auto', uncertainty: args.uncertainty !== false, seed: args.seed,
      ...(args.agqNodes ? { agqNodes: args.agqNodes } : {}), ...(args.uqSamples ? { samples: args.uqSamples } : {}), ...(args.uqSeconds ? { uqSeconds: args.uqSeconds } : {}),
      shouldStop: stopRequested,
    }, say);
    for (const m of finished.messages) io.stderr(`nlmc fit: warning: ${m}\n`);
    return finished;
  } catch (e) {
    io.stderr(`nlmc fit: warning: the step after training failed (${(e as Error).message}); the variational estimates are written without standard errors\n`);
    return variational;
  }
}

function warnNonFinitePredictions(dataset: Dataset, finished: FinishedFit, io: FitIo): void {
  const nonFinite = nonFinitePredictionSubjects(dataset, finished.predictions);
  if (nonFinite.length === 0) return;
  io.stderr(`nlmc fit: warning: the predictions of ${nonFinite.length === 1 ? 'ID' : 'IDs'} ${nonFinite.slice(0, 10).join(', ')}${nonFinite.length > 10 ? ` and ${nonFinite.length - 10} more` : ''} are not all finite (the trajectory failed or overflowed); those cells of predictions.csv are empty\n`);
}
