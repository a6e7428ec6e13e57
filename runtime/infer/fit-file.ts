/**
 * The fitted model as one JSON file (`<run>/fit.json`): the model's source, the encoder's architecture and
 * weights, the input scaling and the population parameters — enough for `nlmc predict` to give posteriors and
 * predictions for new subjects without refitting (the amortization payoff) — plus the training state for
 * `--resume`, and whether the fit completed.
 */
import { createHash } from 'node:crypto';
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
  readonly population: { readonly names: readonly string[]; readonly values: readonly number[] };
  readonly state: { readonly epoch: number; readonly learningRate: number; readonly validationSubjects: readonly number[] };
  readonly trace: readonly { epoch: number; elbo: number; validationElbo?: number; gradientNorm: number; learningRate: number; population: number[]; seconds: number }[];
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
  return f as FitFile;
}
