/**
 * The amortized encoder ψ: a subject's data Y_i → the parameters of q(b_i | Y_i) (seed 001 section 2.2,
 * supplementary 5; seed 000 for the transformer): (μ_i, log σ_i) of N(μ_i, diag σ_i²) for the diagonal family,
 * and for the full-rank family N(μ_i, L_i L_iᵀ) also the strict lower entries of the Cholesky factor
 * L_i = diag(σ_i)(I + U_i), as u_rj = L_rj / σ_r (elbo.ts says why scaled). Architectures:
 *
 *   conv         regular designs: Conv1d(k=3) → GELU → masked attention pooling
 *   gru          irregular designs: GRU over (y, t, Δt) → last valid state
 *   attention    variable length: Conv1d(k=1) → GELU → masked attention pooling (supplementary 5.4)
 *   transformer  Linear → transformer block (masked self-attention) → masked attention pooling
 *
 * then [pooled, static features] → Linear → GELU → Linear(2·neta [+ neta(neta−1)/2]). The last layer starts with
 * weights of sd 1e-3 (supplementary 5.1) and biases μ = 0, log σ = log(ω₀/2), U = 0: the fit starts
 * near the prior mean with moderate spread rather than at σ = 1, which for a small ω (tgfb's 0.05) would sample
 * absurd individual parameters. The flow family (flow.ts) adds each planar layer's (u, w, b) after U's entries, their
 * biases starting at the identity flow. The autoencoder (autoencoder-loss.ts) has μ only: no q, its mean is the
 * random effect.
 */
import { Conv1d, Gru, Linear, AttentionPooling, TransformerBlock, Module, Rng, Tensor, concat, gelu, type ParameterState } from '../nn/index.js';
import { lowerCount, type PosteriorFamily } from './elbo.js';
import { flowInitialBias, flowWidth } from './flow.js';
import type { EncoderInputs } from './encoder-inputs.js';

export type EncoderKind = 'conv' | 'gru' | 'attention' | 'transformer';

export interface EncoderConfig {
  readonly kind: EncoderKind;
  readonly stepFeatures: number;
  readonly staticFeatures: number;
  readonly randomEffects: number;
  readonly hidden: number;
  readonly seed: number;
  /** The posterior family the head parameterizes (absent, as in fit files written before it existed: diagonal). */
  readonly posterior?: PosteriorFamily;
}

/**
 * Width of the encoder's output per subject: μ, log σ, for the full-rank and flow families U's strict lower entries,
 * and the flow's layers. The autoencoder's head has μ only; its forward pads log σ = −∞ (below).
 */
export function encoderOutputs(randomEffects: number, posterior: PosteriorFamily | undefined): number {
  return 2 * randomEffects + headLayout(randomEffects, posterior).lower + headLayout(randomEffects, posterior).flow;
}

/** How many outputs the head's last layer computes: the autoencoder's μ only, every other family's encoderOutputs. */
export function headOutputs(randomEffects: number, posterior: PosteriorFamily | undefined): number {
  return posterior === 'autoencoder' ? randomEffects : encoderOutputs(randomEffects, posterior);
}

/** How many of the head's outputs are U's strict lower entries and the flow's layer parameters. */
export function headLayout(randomEffects: number, posterior: PosteriorFamily | undefined): { lower: number; flow: number } {
  return { lower: posterior === 'fullrank' || posterior === 'flow' ? lowerCount(randomEffects) : 0, flow: posterior === 'flow' ? flowWidth(randomEffects) : 0 };
}

export class Encoder extends Module {
  private readonly conv?: Conv1d;
  private readonly gru?: Gru;
  private readonly project?: Linear;
  private readonly block?: TransformerBlock;
  private readonly pool?: AttentionPooling;
  private readonly dense: Linear;
  readonly head: Linear;

  constructor(readonly config: EncoderConfig, initialOmega: ArrayLike<number>) {
    super();
    const rng = new Rng(config.seed);
    const { hidden: H, stepFeatures: F, staticFeatures: S, randomEffects: R } = config;
    switch (config.kind) {
      case 'conv':
        this.conv = this.addModule('conv', new Conv1d({ inChannels: F, outChannels: H, kernelSize: 3 }, rng));
        this.pool = this.addModule('pool', new AttentionPooling({ features: H }, rng));
        break;
      case 'attention':
        this.conv = this.addModule('conv', new Conv1d({ inChannels: F, outChannels: H, kernelSize: 1 }, rng));
        this.pool = this.addModule('pool', new AttentionPooling({ features: H }, rng));
        break;
      case 'gru':
        this.gru = this.addModule('gru', new Gru({ inputSize: F, hiddenSize: H }, rng));
        break;
      case 'transformer':
        this.project = this.addModule('project', new Linear({ inFeatures: F, outFeatures: H }, rng));
        this.block = this.addModule('block', new TransformerBlock({ dModel: H, heads: H % 2 === 0 ? 2 : 1, ffHidden: 2 * H }, rng));
        this.pool = this.addModule('pool', new AttentionPooling({ features: H }, rng));
        break;
    }
    this.dense = this.addModule('dense', new Linear({ inFeatures: H + S, outFeatures: H }, rng));
    this.head = this.addModule('head', new Linear({ inFeatures: H, outFeatures: headOutputs(R, config.posterior), init: { normalStd: 1e-3 } }, rng));
    const bias = this.head.bias!.data;
    for (let k = 0; k < R; k++) {
      bias[k] = 0;
      if (R + k < bias.length) bias[R + k] = Math.log(Math.max(1e-3, initialOmega[k]! / 2));
    }
    for (let k = 2 * R; k < bias.length; k++) bias[k] = 0;
    if (config.posterior === 'flow') bias.set(flowInitialBias(R), 2 * R + lowerCount(R));
  }

  /** [B, encoderOutputs(neta)]: μ, log σ, then U's strict lower entries (full rank), for the subjects listed (indices into `inputs`). */
  forward(inputs: EncoderInputs, subjects: readonly number[]): Tensor {
    const B = subjects.length;
    const T = inputs.steps;
    const F = inputs.stepFeatures;
    const x = new Float64Array(B * T * F);
    const m = new Float64Array(B * T);
    const st = new Float64Array(B * inputs.staticFeatures);
    subjects.forEach((s, b) => {
      x.set(inputs.sequence.subarray(s * T * F, (s + 1) * T * F), b * T * F);
      m.set(inputs.mask.subarray(s * T, (s + 1) * T), b * T);
      st.set(inputs.statics.subarray(s * inputs.staticFeatures, (s + 1) * inputs.staticFeatures), b * inputs.staticFeatures);
    });
    const xs = new Tensor(x, [B, T, F]);
    const mask = new Tensor(m, [B, T]);
    let pooled: Tensor;
    if (this.gru) pooled = this.gru.forward(xs, mask);
    else if (this.block) pooled = this.pool!.forward(this.block.forward(this.project!.forward(xs), mask), mask);
    else pooled = this.pool!.forward(gelu(this.conv!.forward(xs, mask)), mask);
    const features = concat([pooled, new Tensor(st, [B, inputs.staticFeatures])], 1);
    const head = this.head.forward(gelu(this.dense.forward(features)));
    if (this.config.posterior !== 'autoencoder') return head;
    // The autoencoder's q is the point mass at μ: log σ = −∞ (sd 0) keeps every reader of (μ, log σ) valid.
    const R = this.config.randomEffects;
    return concat([head, new Tensor(new Float64Array(B * R).fill(-Infinity), [B, R])], 1);
  }
}

export type { ParameterState };
