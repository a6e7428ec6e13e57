/**
 * The conditional flow of the 'flow' posterior family: a stack of planar layers (Rezende & Mohamed 2015)
 * f(z) = z + û tanh(wᵀz + b) applied to the standard-normal draw ε before q's affine step η = μ + L f(ε), with
 * each layer's (u, w, b) among the encoder's outputs (so conditional on the subject). Then
 *
 *   log q(η) = log N(ε; 0, I) − Σ_layers log |1 + h'(a) ûᵀw| − Σ_r ℓ_r,
 *
 * exact, with no inverse needed (the draws are what is scored). Why planar: the dimensions here are 1–8 random
 * effects, and with one effect an affine coupling layer has nothing to condition on and an IAF layer is an affine
 * map the Gaussian already has; a planar layer bends any dimension (b ≠ 0 gives skew in 1-D) with 2n + 1
 * parameters. Why before the affine step: in standardized coordinates the layers' scale is O(1) whatever ω is
 * (an ω of 0.05 would need w ≈ 20 to bend a draw on the η scale).
 *
 * Invertibility needs ûᵀw ≥ −1: û = u + (m(wᵀu) − wᵀu) w / |w|², m(x) = −1 + softplus(x) (ibid., appendix A).
 */

/** Encoder outputs per planar layer in n dimensions: u, w (n each) and b. */
export const planarWidth = (n: number): number => 2 * n + 1;

/** The default number of layers of the 'flow' family. */
export const FLOW_LAYERS = 2;

/** Encoder outputs of the whole flow. */
export const flowWidth = (n: number, layers = FLOW_LAYERS): number => layers * planarWidth(n);

/** Guards |w|² when w = 0 (then û = u and the layer is z + u tanh(b), still invertible for any u ⟂ nothing). */
const W_FLOOR = 1e-12;

const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface LayerTape {
  readonly z: Float64Array;
  readonly uHat: Float64Array;
  readonly w: Float64Array;
  readonly h: number;
  readonly dh: number;
  readonly s: number;
  readonly det: number;
  /** (m'(α) − 1), β and |w|² of the constraint, for the backward step. */
  readonly dm: number;
  readonly beta: number;
  readonly n2: number;
}

export interface FlowTape {
  readonly layers: readonly LayerTape[];
  readonly params: ArrayLike<number>;
  readonly offset: number;
}

export interface FlowForward {
  /** f(ε). */
  readonly out: Float64Array;
  /** Σ log |det ∂f_k/∂z|. */
  readonly logDet: number;
  readonly tape: FlowTape;
}

/** f(ε) for the layers whose parameters are params[offset … offset + layers·(2n+1)). */
export function flowForward(eps: ArrayLike<number>, params: ArrayLike<number>, offset: number, n: number, layers = FLOW_LAYERS): FlowForward {
  // Plain loops, no per-call closures: this runs once per draw and layer (pk: 1600 times an epoch), and the
  // allocation-heavy first version doubled pk's time per epoch through the garbage collector.
  let z = new Float64Array(n);
  for (let k = 0; k < n; k++) z[k] = eps[k]!;
  let logDet = 0;
  const tapes: LayerTape[] = [];
  for (let l = 0; l < layers; l++) {
    const o = offset + l * planarWidth(n);
    const w = new Float64Array(n);
    let alpha = 0;
    let n2 = W_FLOOR;
    for (let k = 0; k < n; k++) {
      w[k] = params[o + n + k]!;
      alpha += w[k]! * params[o + k]!;
      n2 += w[k]! ** 2;
    }
    const b = params[o + 2 * n]!;
    const beta = -1 + softplus(alpha) - alpha;
    const uHat = new Float64Array(n);
    for (let k = 0; k < n; k++) uHat[k] = params[o + k]! + (beta * w[k]!) / n2;
    let a = b;
    let s = 0;
    for (let k = 0; k < n; k++) {
      a += w[k]! * z[k]!;
      s += uHat[k]! * w[k]!;
    }
    const h = Math.tanh(a);
    const dh = 1 - h * h;
    const det = 1 + dh * s;
    tapes.push({ z, uHat, w, h, dh, s, det, dm: sigmoid(alpha) - 1, beta, n2 });
    const next = new Float64Array(n);
    for (let k = 0; k < n; k++) next[k] = z[k]! + uHat[k]! * h;
    z = next;
    logDet += Math.log(Math.abs(det));
  }
  return { out: z, logDet, tape: { layers: tapes, params, offset } };
}

/**
 * Backward through the flow for an objective F with ∂F/∂f(ε) = gOut and ∂F/∂logDet = cLogDet: adds ∂F/∂(layer
 * parameters) into gParams[gOffset …] and returns ∂F/∂ε.
 */
export function flowBackward(tape: FlowTape, gOut: ArrayLike<number>, cLogDet: number, gParams: Float64Array, gOffset: number): Float64Array {
  const n = gOut.length;
  const g = Float64Array.from(gOut);
  for (let l = tape.layers.length - 1; l >= 0; l--) {
    const { z, uHat, w, h, dh, s, det, dm, beta, n2 } = tape.layers[l]!;
    const o = gOffset + l * planarWidth(n);
    const d2h = -2 * h * dh;
    let uTg = 0;
    for (let k = 0; k < n; k++) uTg += uHat[k]! * g[k]!;
    // a = wᵀz + b: its cotangent from f = z + û h(a) and from log det = log(1 + h'(a) s).
    const gA = dh * uTg + (cLogDet * d2h * s) / det;
    const gS = (cLogDet * dh) / det;
    // Through û = u + β w / |w|², β = m(wᵀu) − wᵀu, u_raw = params[...]; ∂F/∂û_k = h g_k + gS w_k.
    let gUhatW = 0;
    for (let k = 0; k < n; k++) gUhatW += (h * g[k]! + gS * w[k]!) * w[k]!;
    const gAlpha = (dm * gUhatW) / n2;
    const po = tape.offset + l * planarWidth(n);
    for (let k = 0; k < n; k++) {
      const u = tape.params[po + k]!;
      const gUhat = h * g[k]! + gS * w[k]!;
      const gW = gA * z[k]! + gS * uHat[k]!;
      gParams[o + k] = gParams[o + k]! + gUhat + gAlpha * w[k]!;
      gParams[o + n + k] = gParams[o + n + k]! + gW + gAlpha * u + (beta * gUhat) / n2 - (2 * beta * gUhatW * w[k]!) / (n2 * n2);
    }
    gParams[o + 2 * n] = gParams[o + 2 * n]! + gA;
    for (let k = 0; k < n; k++) g[k] = g[k]! + gA * w[k]!;
  }
  return g;
}

/**
 * Head biases that make the flow start as the identity with a usable direction: w = e_k / 2, b = 0 and u = α w/|w|²
 * with m(α) = 0 (α = log(e − 1)), so that û = 0 (u = 0 would give û = m(0) w/|w|² ≠ 0).
 */
export function flowInitialBias(n: number, layers = FLOW_LAYERS): Float64Array {
  const bias = new Float64Array(flowWidth(n, layers));
  const alpha = Math.log(Math.E - 1);
  for (let l = 0; l < layers; l++) {
    const k = l % n;
    bias[l * planarWidth(n) + n + k] = 0.5;
    bias[l * planarWidth(n) + k] = (alpha * 0.5) / (0.25 + W_FLOOR);
  }
  return bias;
}
