/**
 * Maximizing the ELBO (seed 001 eq. 7), or the importance-weighted bound when `iwSamples` > 1 (elbo.ts), jointly over the encoder ψ and the population parameters (φ, log ω,
 * log σ) with Adam, by epochs over the subjects, and stopping by the three criteria of supplementary 4: the
 * gradient norm, the relative parameter change, and no improvement of the validation ELBO for `patience` epochs
 * (the training ELBO when there is no validation split). A reduce-on-plateau schedule lowers the learning rate.
 * A non-finite ELBO stops the fit with the last good state kept; a stop request (Ctrl-C) ends after the current
 * step. Either way the caller gets a state it can write and resume from.
 */
import type { Engine } from '../engine/engine.js';
import type { PreparedModel } from '../engine/prepared-model.js';
import { Adam, ReduceOnPlateau, backward, clipGradNorm, globalGradNorm, loadParameters, parameter, saveParameters, type ParameterState } from '../nn/index.js';
import { Random } from '../nn/random.js';
import { evaluateAutoencoderLoss } from './autoencoder-loss.js';
import { evaluateElbo, type PosteriorFamily } from './elbo.js';
import type { EncoderInputs } from './encoder-inputs.js';
import { Encoder, headLayout, type EncoderConfig } from './encoder.js';
import type { PopulationLayout } from './population.js';

export interface TrainOptions {
  readonly seed: number;
  readonly maxEpochs: number;
  /** Monte-Carlo samples L per subject and step (with iwSamples K > 1: L independent bounds of K draws each). */
  readonly samples: number;
  /**
   * q's family: full rank N(μ, LLᵀ) (the default: docs/fit.md, "Posterior family and objective"), mean field
   * N(μ, diag σ²), the flow, or none — the deterministic autoencoder (autoencoder-loss.ts: η = μ, ω not estimated).
   */
  readonly posterior: PosteriorFamily;
  /** K: 1 for the ELBO, > 1 for the importance-weighted bound with K draws (DReG gradient for the encoder). */
  readonly iwSamples: number;
  /** Subjects per step; 0: all (one step per epoch). */
  readonly batchSize: number;
  readonly learningRate: number;
  /** Fraction of subjects held out for the validation ELBO (0: none; the training ELBO drives early stopping). */
  readonly validationFraction: number;
  readonly patience: number;
  readonly gradientTolerance: number;
  readonly parameterTolerance: number;
  /** Global gradient-norm clipping (0: none). */
  readonly clip: number;
}

export const defaultTrainOptions: TrainOptions = {
  seed: 1, maxEpochs: 2000, samples: 8, posterior: 'fullrank', iwSamples: 1, batchSize: 0, learningRate: 0.05, validationFraction: 0, patience: 100,
  gradientTolerance: 1e-4, parameterTolerance: 1e-7, clip: 10,
};

export interface EpochReport {
  readonly epoch: number;
  /** Training ELBO per subject. */
  readonly elbo: number;
  readonly validationElbo?: number;
  readonly gradientNorm: number;
  readonly learningRate: number;
  readonly population: Float64Array;
  readonly failedRows: number;
  readonly seconds: number;
}

export type StopReason = 'gradient-norm' | 'parameter-change' | 'no-improvement' | 'max-epochs' | 'interrupted' | 'diverged';

/** Everything needed to write the outputs or to resume. */
export interface TrainState {
  readonly encoderConfig: EncoderConfig;
  encoder: ParameterState;
  population: number[];
  epoch: number;
  learningRate: number;
  trace: EpochReport[];
  validationSubjects: number[];
}

export interface TrainResult {
  readonly state: TrainState;
  readonly encoder: Encoder;
  readonly stop: StopReason;
  readonly message: string;
}

export interface TrainHooks {
  readonly onEpoch?: (report: EpochReport) => void;
  /** Polled between steps: true asks the fit to stop now (Ctrl-C). */
  readonly shouldStop?: () => boolean;
}

/** Splits subjects deterministically; at least 1 subject is kept for training and validation only when n ≥ 10. */
function splitSubjects(n: number, fraction: number, random: Random): { train: number[]; validation: number[] } {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nv = n >= 10 ? Math.round(n * fraction) : 0;
  return { train: order.slice(nv).sort((a, b) => a - b), validation: order.slice(0, nv).sort((a, b) => a - b) };
}

export async function train(
  model: PreparedModel, engine: Engine, inputs: EncoderInputs, covariates: readonly Float64Array[], layout: PopulationLayout,
  encoderConfig: EncoderConfig, initialPopulation: Float64Array, options: TrainOptions, hooks: TrainHooks = {}, resume?: TrainState,
): Promise<TrainResult> {
  const neta = model.dims.neta;
  const { lower: nl, flow: nf } = headLayout(neta, options.posterior);
  const K = options.iwSamples;
  if (!(Number.isInteger(K) && K >= 1)) throw new Error(`iwSamples must be a whole number ≥ 1 (got ${K})`);
  if (resume && (resume.encoderConfig.posterior ?? 'diagonal') !== options.posterior) {
    throw new Error(`the fit being resumed has the ${resume.encoderConfig.posterior ?? 'diagonal'} posterior family, not ${options.posterior}`);
  }
  const config: EncoderConfig = { ...encoderConfig, posterior: options.posterior };
  const random = new Random(options.seed + (resume?.epoch ?? 0) * 7919);
  const encoder = new Encoder(config, layout.omega0);
  if (resume) loadParameters(encoder, resume.encoder);
  const population = parameter(Float64Array.from(resume?.population ?? initialPopulation), [initialPopulation.length], 'population');
  const params = [...encoder.parameters(), population];
  const adam = new Adam(params, { lr: resume?.learningRate ?? options.learningRate });
  const plateau = new ReduceOnPlateau({ factor: 0.5, patience: Math.max(5, Math.floor(options.patience / 2)), minLr: options.learningRate / 100, lr: adam.lr });
  const { train: trainSubjects, validation } = resume ? { train: Array.from({ length: inputs.subjects }, (_, i) => i).filter((i) => !resume.validationSubjects.includes(i)), validation: resume.validationSubjects } : splitSubjects(inputs.subjects, options.validationFraction, random);
  const state: TrainState = {
    encoderConfig: config, encoder: saveParameters(encoder), population: Array.from(population.data), epoch: resume?.epoch ?? 0,
    learningRate: adam.lr, trace: resume?.trace ?? [], validationSubjects: validation,
  };
  const N = trainSubjects.length;
  const batchSize = options.batchSize > 0 ? Math.min(options.batchSize, N) : N;
  // The monitored ELBO uses fixed draws (common random numbers), so epochs are compared on the same noise: on the
  // validation subjects, or on the training subjects when there is no validation split.
  const monitoredSubjects = validation.length > 0 ? validation : trainSubjects;
  const draws = options.samples * K;
  const validationEps = Float64Array.from({ length: monitoredSubjects.length * draws * neta }, () => random.normal());
  let best = Infinity;
  let sinceBest = 0;
  let previous = Float64Array.from(params.flatMap((p) => Array.from(p.data)));

  const elboOf = async (subjects: readonly number[], eps: Float64Array, mode: 'train' | 'eval') => {
    const out = encoder.forward(inputs, subjects);
    const width = 2 * neta + nl + nf;
    const flow = new Float64Array(subjects.length * nf);
    const mu = new Float64Array(subjects.length * neta);
    const logSigma = new Float64Array(subjects.length * neta);
    const lower = new Float64Array(subjects.length * nl);
    for (let b = 0; b < subjects.length; b++) {
      for (let k = 0; k < neta; k++) {
        mu[b * neta + k] = out.data[b * width + k]!;
        logSigma[b * neta + k] = out.data[b * width + neta + k]!;
      }
      for (let k = 0; k < nl; k++) lower[b * nl + k] = out.data[b * width + 2 * neta + k]!;
      for (let k = 0; k < nf; k++) flow[b * nf + k] = out.data[b * width + 2 * neta + nl + k]!;
    }
    const batchCovariates = subjects.map((s) => covariates[s]!);
    // The autoencoder's objective is the reconstruction at η = μ (no draws); every other family's the ELBO or bound.
    const result = options.posterior === 'autoencoder'
      ? await evaluateAutoencoderLoss(model, engine, layout, population.data, { subjects, covariates: batchCovariates, mu })
      : await evaluateElbo(model, engine, layout, population.data, {
        subjects, covariates: batchCovariates, mu, logSigma, eps, samples: options.samples, iwSamples: K,
        ...(nl > 0 ? { lower } : {}), ...(nf > 0 ? { flow } : {}),
      });
    return { out, result, mode };
  };

  for (let epoch = state.epoch + 1; epoch <= options.maxEpochs; epoch++) {
    const started = performance.now();
    const order = [...trainSubjects];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let elboSum = 0;
    let failedRows = 0;
    let gradNorm = 0;
    for (let start = 0; start < N; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      const eps = Float64Array.from({ length: batch.length * draws * neta }, () => random.normal());
      const { out, result } = await elboOf(batch, eps, 'train');
      if (!Number.isFinite(result.elbo)) {
        return { state, encoder, stop: 'diverged', message: `the ELBO became ${result.elbo} at epoch ${epoch} (${result.failedRows} of ${batch.length * draws} trajectories failed); the outputs hold the last finite state` };
      }
      elboSum += result.elbo;
      failedRows += result.failedRows;
      // Minimize −ELBO / N: seed the encoder's output with −∂ELBO/∂(μ, log σ, u) / N.
      for (const p of params) p.zeroGrad();
      const seed = new Float64Array(out.size);
      const width = 2 * neta + nl + nf;
      for (let b = 0; b < batch.length; b++) {
        for (let k = 0; k < neta; k++) {
          seed[b * width + k] = -result.dMu[b * neta + k]! / N;
          seed[b * width + neta + k] = -result.dLogSigma[b * neta + k]! / N;
        }
        for (let k = 0; k < nl; k++) seed[b * width + 2 * neta + k] = -result.dLower[b * nl + k]! / N;
        for (let k = 0; k < nf; k++) seed[b * width + 2 * neta + nl + k] = -result.dFlow[b * nf + k]! / N;
      }
      backward(out, seed);
      const pg = population.ensureGrad();
      for (let i = 0; i < pg.length; i++) pg[i] = pg[i]! - result.dPopulation[i]! / N;
      gradNorm = options.clip > 0 ? clipGradNorm(params, options.clip) : globalGradNorm(params);
      adam.step();
      // Let the event loop run (signal handlers, output): the CPU engine's promises resolve without yielding.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (hooks.shouldStop?.()) {
        record(epoch, elboSum / N, undefined, gradNorm, failedRows, started);
        return { state, encoder, stop: 'interrupted', message: `interrupted at epoch ${epoch}` };
      }
    }
    const monitoredElbo = (await elboOf(monitoredSubjects, validationEps, 'eval')).result.elbo / monitoredSubjects.length;
    const validationElbo = validation.length > 0 ? monitoredElbo : undefined;
    record(epoch, elboSum / N, validationElbo, gradNorm, failedRows, started);
    const monitored = Number.isFinite(monitoredElbo) ? -monitoredElbo : Infinity;
    adam.lr = plateau.step(monitored);
    if (monitored < best && (!Number.isFinite(best) || monitored < best - 1e-9 * Math.abs(best))) {
      best = monitored;
      sinceBest = 0;
    } else sinceBest++;
    const current = Float64Array.from(params.flatMap((p) => Array.from(p.data)));
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < current.length; i++) {
      diff += (current[i]! - previous[i]!) ** 2;
      norm += previous[i]! ** 2;
    }
    previous = current;
    if (gradNorm < options.gradientTolerance) return { state, encoder, stop: 'gradient-norm', message: `the gradient norm ${gradNorm.toExponential(2)} fell below ${options.gradientTolerance}` };
    if (Math.sqrt(diff) / (Math.sqrt(norm) + 1e-8) < options.parameterTolerance) return { state, encoder, stop: 'parameter-change', message: `the relative parameter change fell below ${options.parameterTolerance}` };
    if (sinceBest > options.patience) return { state, encoder, stop: 'no-improvement', message: `the ${validation.length > 0 ? 'validation' : 'training'} ELBO did not improve for ${options.patience} epochs` };
  }
  return { state, encoder, stop: 'max-epochs', message: `reached the maximum of ${options.maxEpochs} epochs` };

  function record(epoch: number, elbo: number, validationElbo: number | undefined, gradientNorm: number, failedRows: number, started: number): void {
    const report: EpochReport = {
      epoch, elbo, gradientNorm, learningRate: adam.lr, population: Float64Array.from(population.data), failedRows,
      seconds: (performance.now() - started) / 1000, ...(validationElbo !== undefined ? { validationElbo } : {}),
    };
    state.trace.push(report);
    state.epoch = epoch;
    state.encoder = saveParameters(encoder);
    state.population = Array.from(population.data);
    state.learningRate = adam.lr;
    hooks.onEpoch?.(report);
  }
}

