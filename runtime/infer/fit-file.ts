/**
 * The fitted model as one JSON file (`<run>/fit.json`): the model's source, the encoder's architecture and
 * weights, the input scaling and the population parameters — enough for `nlmc predict` to give posteriors and
 * predictions for new subjects without refitting (the amortization payoff) — plus the training state for
 * `--resume`, and whether the fit completed.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isPosteriorFamily, POSTERIOR_FAMILIES, type PosteriorFamily } from './posterior-family.js';
import type { EncoderScaling } from './encoder-inputs.js';
import type { EncoderConfig } from './encoder.js';
import type { StopReason, TrainOptions, TrainState } from './train.js';
import type { ParameterState } from '../nn/index.js';

export const FIT_FORMAT = 'nlmc-fit/1';

export interface FitFile {
  readonly format: typeof FIT_FORMAT;
  readonly complete: boolean;
  readonly stop: StopReason;
  readonly message: string;
  readonly createdAt: string;
  readonly model: { readonly name: string; readonly source: string; readonly sha256: string };
  readonly data: { readonly file: string; readonly sha256: string };
  readonly backend: string;
  readonly options: TrainOptions;
  readonly encoderConfig: EncoderConfig;
  readonly encoder: ParameterState;
  readonly scaling: EncoderScaling;
  /** The variational optimum (the training state; `--resume` continues from it). */
  readonly population: { readonly names: readonly string[]; readonly values: readonly number[] };
  /** The reported maximum-likelihood estimate, when the finish ran (runtime/uq/ml-finish.ts). */
  readonly maximumLikelihood?: { readonly names: readonly string[]; readonly values: readonly number[]; readonly method: string; readonly size: number; readonly logLik: number; readonly converged: boolean };
  readonly state: { readonly epoch: number; readonly learningRate: number; readonly validationSubjects: readonly number[] };
  readonly trace: readonly { epoch: number; elbo: number; validationElbo?: number; gradientNorm: number; learningRate: number; population: number[]; seconds: number }[];
}

/**
 * The posterior family and the objective a fit was trained with, for `--resume` and for readers of q: the family
 * is the encoder's (it fixes the shape of the stored weights); files written before the full-rank family and the
 * importance-weighted bound existed are diagonal and ELBO.
 */
export function fitObjective(fit: FitFile): { posterior: PosteriorFamily; iwSamples: number } {
  return { posterior: fit.encoderConfig.posterior ?? 'diagonal', iwSamples: fit.options?.iwSamples ?? 1 };
}

/** The population vector the fit reports: the maximum-likelihood estimate when there is one. */
/** The fit file a command was given: a run folder's fit.json, or the path itself. */
export function fitFilePath(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'fit.json') : path;
}

export function reportedPopulation(fit: FitFile): Float64Array {
  return Float64Array.from(fit.maximumLikelihood?.values ?? fit.population.values);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function fitFile(args: {
  complete: boolean; stop: StopReason; message: string; modelName: string; source: string; dataFile: string; dataText: string; backend: string;
  options: TrainOptions; state: TrainState; scaling: EncoderScaling; names: readonly string[];
}): FitFile {
  const { state } = args;
  return {
    format: FIT_FORMAT, complete: args.complete, stop: args.stop, message: args.message, createdAt: new Date().toISOString(),
    model: { name: args.modelName, source: args.source, sha256: sha256(args.source) },
    data: { file: args.dataFile, sha256: sha256(args.dataText) },
    backend: args.backend, options: args.options, encoderConfig: state.encoderConfig, encoder: state.encoder, scaling: args.scaling,
    population: { names: args.names, values: state.population },
    state: { epoch: state.epoch, learningRate: state.learningRate, validationSubjects: state.validationSubjects },
    trace: state.trace.map((r) => ({
      epoch: r.epoch, elbo: r.elbo, gradientNorm: r.gradientNorm, learningRate: r.learningRate, population: Array.from(r.population), seconds: r.seconds,
      ...(r.validationElbo !== undefined ? { validationElbo: r.validationElbo } : {}),
    })),
  };
}

/** Parses and checks a fit file; errors say what is wrong with it. */
export function parseFitFile(text: string, path: string): FitFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not a fit file (invalid JSON: ${(e as Error).message})`);
  }
  const f = raw as Partial<FitFile>;
  if (f.format !== FIT_FORMAT) throw new Error(`${path}: not an nlmc fit file (format ${JSON.stringify(f.format)}, expected ${FIT_FORMAT})`);
  if (!f.model?.source || !f.encoder || !f.encoderConfig || !f.scaling || !f.population) throw new Error(`${path}: the fit file is incomplete (a field is missing)`);
  const family = f.encoderConfig.posterior;
  if (family !== undefined && !isPosteriorFamily(family)) throw new Error(`${path}: unknown posterior family ${JSON.stringify(family)} (expected ${POSTERIOR_FAMILIES.map((f) => JSON.stringify(f)).join(', ')})`);
  const K = f.options?.iwSamples;
  if (K !== undefined && !(Number.isInteger(K) && K >= 1)) throw new Error(`${path}: options.iwSamples must be a whole number ≥ 1 (got ${JSON.stringify(K)})`);
  return f as FitFile;
}
