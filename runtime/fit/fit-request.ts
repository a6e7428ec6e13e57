/** What `nlmc fit` is asked (the request), the texts it reads and where its progress goes: the fit's inputs as types. */
import type { MethodChoice } from '../engine/choose-method.js';
import type { BackendChoice } from '../engine/select-engine.js';
import type { EncoderKind } from '../infer/encoder.js';
import type { PosteriorFamily } from '../infer/posterior-family.js';
import type { EstimateChoice, LikelihoodChoice } from '../uq/finish-fit.js';

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

