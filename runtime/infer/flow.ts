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
 * Invertibility needs ûᵀw ≥ −1: ū = u + (m(wᵀu) − wᵀu) w / |w|², m(x) = −1 + softplus(x) (ibid., appendix A), so
 * ūᵀw = m(wᵀu) > −1. That correction is −0.31 w/|w|² at wᵀu = 0 and grows as 1/|w| when the encoder's w crosses
 * zero: on pk (CPU, seed 1) a layer reached |ū| ≈ 300, translated a draw to η ≈ 29, its trajectories failed and
 * the fit diverged at epoch 104. So the translation is bounded: û = ū · c tanh(|ū|/c)/|ū| with c = SHIFT_BOUND,
 * a factor κ ≤ 1 (ûᵀw = κ m > −1 still) that is 0.9 at |ū| = 2.3, a value the skewed case's fits reach.
 * (Removing the singularity instead, m(0) = 0, left w without a gradient at the identity start and fitted the
 * skewed case's subjects worse: total gap 0.19–0.35 vs 0.15–0.21 over three seeds.)
 * The inverse (`inverse`, for scoring a point not drawn from q: the importance step's defensive draws) is one
 * monotone scalar equation per layer: with a = wᵀz + b, wᵀf(z) + b = a + s tanh(a), s = ûᵀw ≥ −1.
 *
 * Speed: û, w, b and s depend on the subject, not on the draw, so `PlanarFlow.load` computes them once per subject
 * and the per-draw work is a dot product, a tanh and an axpy per layer, written into caller-owned flat buffers (the
 * tape is each layer's input z and h = tanh(a)). The first version allocated arrays and objects per draw and layer
 * and was half of the flow family's extra training time on pk, through the garbage collector.
 */

/** Encoder outputs per planar layer in n dimensions: u, w (n each) and b. */
export const planarWidth = (n: number): number => 2 * n + 1;

/** The default number of layers of the 'flow' family. */
export const FLOW_LAYERS = 2;

/** Encoder outputs of the whole flow. */
export const flowWidth = (n: number, layers = FLOW_LAYERS): number => layers * planarWidth(n);

/** Numbers a draw's tape holds: each layer's input z (n) and h = tanh(a). */
export const flowTapeWidth = (n: number, layers = FLOW_LAYERS): number => layers * (n + 1);

/** c of û = ū · c tanh(|ū|/c)/|ū|: a layer moves a standardized draw by less than c. */
export const SHIFT_BOUND = 4;

/** Guards |w|² when w = 0 (then û = u and the layer is z + u tanh(b), still invertible for any u ⟂ nothing). */
const W_FLOOR = 1e-12;

const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** One subject's layers, with the draw-independent quantities computed once (`load`). */
export class PlanarFlow {
  /** Raw u, the constrained ū, the bounded û and w: layers × n each. */
  readonly u: Float64Array;
  readonly uBar: Float64Array;
  readonly uHat: Float64Array;
  readonly w: Float64Array;
  /** Per layer: κ = |û|/|ū| and d|û|/d|ū| of the bound, over |ū|² (0 when ū = 0). */
  readonly kappa: Float64Array;
  readonly kappaSlope: Float64Array;
  /** Per layer: b, s = ûᵀw, (m'(α) − 1), β = m(α) − α and |w|² of the constraint. */
  readonly b: Float64Array;
  readonly s: Float64Array;
  readonly dm: Float64Array;
  readonly beta: Float64Array;
  readonly n2: Float64Array;
  private readonly g: Float64Array;
  private readonly gBar: Float64Array;

  constructor(readonly n: number, readonly layers = FLOW_LAYERS) {
    this.u = new Float64Array(layers * n);
    this.uBar = new Float64Array(layers * n);
    this.uHat = new Float64Array(layers * n);
    this.w = new Float64Array(layers * n);
    this.kappa = new Float64Array(layers);
    this.kappaSlope = new Float64Array(layers);
    this.b = new Float64Array(layers);
    this.s = new Float64Array(layers);
    this.dm = new Float64Array(layers);
    this.beta = new Float64Array(layers);
    this.n2 = new Float64Array(layers);
    this.g = new Float64Array(n);
    this.gBar = new Float64Array(n);
  }

  /** Reads the layers' raw parameters params[offset … offset + flowWidth(n, layers)). */
  load(params: ArrayLike<number>, offset: number): this {
    const n = this.n;
    for (let l = 0; l < this.layers; l++) {
      const o = offset + l * planarWidth(n);
      let alpha = 0;
      let n2 = W_FLOOR;
      for (let k = 0; k < n; k++) {
        const u = params[o + k]!;
        const w = params[o + n + k]!;
        this.u[l * n + k] = u;
        this.w[l * n + k] = w;
        alpha += w * u;
        n2 += w * w;
      }
      const beta = -1 + softplus(alpha) - alpha;
      let r2 = 0;
      for (let k = 0; k < n; k++) {
        const uBar = this.u[l * n + k]! + (beta * this.w[l * n + k]!) / n2;
        this.uBar[l * n + k] = uBar;
        r2 += uBar * uBar;
      }
      const r = Math.sqrt(r2);
      const kappa = r > 1e-8 ? (SHIFT_BOUND * Math.tanh(r / SHIFT_BOUND)) / r : 1;
      this.kappa[l] = kappa;
      this.kappaSlope[l] = r > 1e-8 ? (1 / Math.cosh(r / SHIFT_BOUND) ** 2 - kappa) / r2 : 0;
      let s = 0;
      for (let k = 0; k < n; k++) {
        const uHat = kappa * this.uBar[l * n + k]!;
        this.uHat[l * n + k] = uHat;
        s += uHat * this.w[l * n + k]!;
      }
      this.b[l] = params[o + 2 * n]!;
      this.s[l] = s;
      this.dm[l] = sigmoid(alpha) - 1;
      this.beta[l] = beta;
      this.n2[l] = n2;
    }
    return this;
  }

  /**
   * f(ε) of eps[epsOffset … + n) into out[outOffset …] (out may be eps itself); returns Σ log |det ∂f_k/∂z|. With
   * `tape`, each layer's input and h go to tape[tapeOffset … + flowTapeWidth) for `backward`.
   */
  forward(eps: ArrayLike<number>, epsOffset: number, out: Float64Array, outOffset: number, tape?: Float64Array, tapeOffset = 0): number {
    const n = this.n;
    if (out !== eps || outOffset !== epsOffset) for (let k = 0; k < n; k++) out[outOffset + k] = eps[epsOffset + k]!;
    let logDet = 0;
    for (let l = 0; l < this.layers; l++) {
      let a = this.b[l]!;
      for (let k = 0; k < n; k++) a += this.w[l * n + k]! * out[outOffset + k]!;
      const h = Math.tanh(a);
      if (tape) {
        const t = tapeOffset + l * (n + 1);
        for (let k = 0; k < n; k++) tape[t + k] = out[outOffset + k]!;
        tape[t + n] = h;
      }
      for (let k = 0; k < n; k++) out[outOffset + k] = out[outOffset + k]! + this.uHat[l * n + k]! * h;
      logDet += Math.log(Math.abs(1 + (1 - h * h) * this.s[l]!));
    }
    return logDet;
  }

  /**
   * Backward through the flow for an objective F with ∂F/∂f(ε) = gOut[gOutOffset …] and ∂F/∂logDet = cLogDet: adds
   * ∂F/∂(layer parameters) into gParams[gOffset …] and writes ∂F/∂ε into gEps (may be gOut).
   */
  backward(tape: Float64Array, tapeOffset: number, gOut: ArrayLike<number>, gOutOffset: number, cLogDet: number, gParams: Float64Array, gOffset: number, gEps: Float64Array = this.g, gEpsOffset = 0): Float64Array {
    const n = this.n;
    const g = this.g;
    for (let k = 0; k < n; k++) g[k] = gOut[gOutOffset + k]!;
    for (let l = this.layers - 1; l >= 0; l--) {
      const t = tapeOffset + l * (n + 1);
      const h = tape[t + n]!;
      const dh = 1 - h * h;
      const s = this.s[l]!;
      const det = 1 + dh * s;
      const dm = this.dm[l]!;
      const beta = this.beta[l]!;
      const n2 = this.n2[l]!;
      const o = gOffset + l * planarWidth(n);
      let uTg = 0;
      for (let k = 0; k < n; k++) uTg += this.uHat[l * n + k]! * g[k]!;
      // a = wᵀz + b: its cotangent from f = z + û h(a) and from log det = log(1 + h'(a) s).
      const gA = dh * uTg + (cLogDet * -2 * h * dh * s) / det;
      const gS = (cLogDet * dh) / det;
      // ∂F/∂û_k = h g_k + gS w_k; through the bound û = κ(|ū|) ū: ∂F/∂ū = κ ∂F/∂û + (d|û|/d|ū| − κ)/|ū|² (ūᵀ∂F/∂û) ū.
      const gBar = this.gBar;
      let uBarTgHat = 0;
      for (let k = 0; k < n; k++) {
        gBar[k] = h * g[k]! + gS * this.w[l * n + k]!;
        uBarTgHat += this.uBar[l * n + k]! * gBar[k]!;
      }
      let gBarW = 0;
      for (let k = 0; k < n; k++) {
        gBar[k] = this.kappa[l]! * gBar[k]! + this.kappaSlope[l]! * uBarTgHat * this.uBar[l * n + k]!;
        gBarW += gBar[k]! * this.w[l * n + k]!;
      }
      // Through ū = u + β w / |w|², β = m(wᵀu) − wᵀu.
      const gAlpha = (dm * gBarW) / n2;
      for (let k = 0; k < n; k++) {
        const w = this.w[l * n + k]!;
        const gW = gA * tape[t + k]! + gS * this.uHat[l * n + k]!;
        gParams[o + k] = gParams[o + k]! + gBar[k]! + gAlpha * w;
        gParams[o + n + k] = gParams[o + n + k]! + gW + gAlpha * this.u[l * n + k]! + (beta * gBar[k]!) / n2 - (2 * beta * gBarW * w) / (n2 * n2);
      }
      gParams[o + 2 * n] = gParams[o + 2 * n]! + gA;
      for (let k = 0; k < n; k++) g[k] = g[k]! + gA * this.w[l * n + k]!;
    }
    if (gEps !== g) for (let k = 0; k < n; k++) gEps[gEpsOffset + k] = g[k]!;
    return gEps;
  }

  /**
   * ε = f⁻¹(z) of z[offset … + n) into eps[epsOffset …]; returns log |det f′(ε)|. Layer by layer from the last: a
   * = wᵀz_in + b solves a + s tanh(a) = wᵀz_out + b (increasing in a as s ≥ −1), by safeguarded Newton on a
   * bracket, then z_in = z_out − û tanh(a).
   */
  inverse(z: ArrayLike<number>, offset: number, eps: Float64Array, epsOffset: number): number {
    const n = this.n;
    for (let k = 0; k < n; k++) eps[epsOffset + k] = z[offset + k]!;
    let logDet = 0;
    for (let l = this.layers - 1; l >= 0; l--) {
      let c = this.b[l]!;
      for (let k = 0; k < n; k++) c += this.w[l * n + k]! * eps[epsOffset + k]!;
      const h = Math.tanh(solveMonotone(c, this.s[l]!));
      for (let k = 0; k < n; k++) eps[epsOffset + k] = eps[epsOffset + k]! - this.uHat[l * n + k]! * h;
      logDet += Math.log(Math.abs(1 + (1 - h * h) * this.s[l]!));
    }
    return logDet;
  }
}

/**
 * The a with a + s tanh(a) = c for s ≥ −1: a lies in [c − |s|, c + |s|]. Newton steps are kept only while they stay
 * in the bracket and at least halve the previous step (else bisection: plain Newton oscillates across a tanh's knee).
 */
function solveMonotone(c: number, s: number): number {
  let lo = c - Math.abs(s);
  let hi = c + Math.abs(s);
  let a = c - s * Math.tanh(c);
  let previousStep = hi - lo;
  for (let it = 0; it < 200; it++) {
    const t = Math.tanh(a);
    const r = a + s * t - c;
    if (r === 0) return a;
    if (r > 0) hi = a;
    else lo = a;
    const newton = a - r / (1 + s * (1 - t * t));
    const next = newton > lo && newton < hi && Math.abs(newton - a) <= previousStep / 2 ? newton : (lo + hi) / 2;
    previousStep = Math.abs(next - a);
    if (previousStep <= 1e-15 * Math.max(1, Math.abs(a))) return next;
    a = next;
  }
  return a;
}

/** A draw's forward pass as a record, for callers without buffers of their own (tests, the fixtures). */
export interface FlowForward {
  /** f(ε). */
  readonly out: Float64Array;
  /** Σ log |det ∂f_k/∂z|. */
  readonly logDet: number;
  readonly tape: { readonly flow: PlanarFlow; readonly data: Float64Array };
}

/** f(ε) for the layers whose parameters are params[offset … offset + layers·(2n+1)). */
export function flowForward(eps: ArrayLike<number>, params: ArrayLike<number>, offset: number, n: number, layers = FLOW_LAYERS): FlowForward {
  const flow = new PlanarFlow(n, layers).load(params, offset);
  const out = new Float64Array(n);
  const data = new Float64Array(flowTapeWidth(n, layers));
  const logDet = flow.forward(eps, 0, out, 0, data, 0);
  return { out, logDet, tape: { flow, data } };
}

/** `PlanarFlow.backward` for a `flowForward` record: adds ∂F/∂(layers) into gParams[gOffset …], returns ∂F/∂ε. */
export function flowBackward(tape: FlowForward['tape'], gOut: ArrayLike<number>, cLogDet: number, gParams: Float64Array, gOffset: number): Float64Array {
  return Float64Array.from(tape.flow.backward(tape.data, 0, gOut, 0, cLogDet, gParams, gOffset));
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
