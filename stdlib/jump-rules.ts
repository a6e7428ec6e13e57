/**
 * The jump rules of y = [x; S] (S = ∂x/∂p, nx × ns row-major after x) at an event: the one description both back
 * ends follow, in the style of builtins.ts — each rule's f64 form (`apply`, which runtime/engine/cpu/solve-trajectory.ts
 * calls) and its WGSL spelling (`wgsl`, which compiler/emit-wgsl/kernel.ts prints), side by side.
 *
 * | rule | where | x | S |
 * | --- | --- | --- | --- |
 * | doseAmount | a bolus of amount A(p) into state k | x_k += A | S_k += ∂A/∂p |
 * | eventTime | an event at τ(p) where f jumps from f⁻ to f⁺: a bolus at a lagged or model time, a breakpoint | continuous | S += (f⁻ − f⁺) ∂τ/∂p |
 * | inputEdge | a zero-order input of rate R into k starts (f_k += R) or ends (f_k −= R) at τ(p) | continuous | S_k −= R ∂τ/∂p at the start, += R ∂τ/∂p at the end |
 * | historyShift | a steady state X reached at a dose time τ(p) (stdlib/dose-events.ts) | X | S −= f(τ, X) ∂τ/∂p |
 *
 * inputEdge is eventTime for f⁺ − f⁻ = ±R e_k, written apart because f need not be evaluated; historyShift is
 * eventTime from f⁻ = 0 (the whole periodic history moves with τ), written apart because f⁻ need not be filled. A bolus is
 * doseAmount, then eventTime with f⁻ evaluated before and f⁺ after the amount is added. A reset sets x = x0(p),
 * S = ∂x0/∂p (stdlib/dose-events.ts). Each entry's floating-point operations are the same in both spellings
 * (y + a·b per entry), so the back ends differ only in precision.
 */

export interface JumpRule {
  readonly doc: string;
}

/** S_k += ∂A/∂p (the x part, x_k += A, is one addition the callers write with the state's other bookkeeping). */
export const doseAmount = {
  doc: 'a bolus of amount A into state k: x_k += A, S_k += ∂A/∂p',
  apply(y: Float64Array, nx: number, ns: number, target: number, dAmount: ArrayLike<number>): void {
    const base = nx + target * ns;
    for (let q = 0; q < ns; q++) y[base + q] = y[base + q]! + dAmount[q]!;
  },
  /** One statement for sensitivity column `k`: y[NX + tgt·NS + k] += damt[k]. */
  wgsl(y: string, tgt: string, dAmount: string, k: string): string {
    return `${y}[NX + ${tgt} * NS + ${k}] = ${y}[NX + ${tgt} * NS + ${k}] + ${dAmount};`;
  },
} as const;

/** S += (f⁻ − f⁺) ∂τ/∂p, with ∂τ/∂p at dTime[offset … offset + ns). */
export const eventTime = {
  doc: 'an event at τ(p) where f jumps from f⁻ to f⁺ (x continuous): S += (f⁻ − f⁺) ∂τ/∂p',
  apply(y: Float64Array, nx: number, ns: number, fBefore: ArrayLike<number>, fAfter: ArrayLike<number>, dTime: ArrayLike<number>, offset: number): void {
    for (let i = 0; i < nx; i++) {
      const jump = fBefore[i]! - fAfter[i]!;
      if (jump === 0) continue;
      for (let k = 0; k < ns; k++) y[nx + i * ns + k] = y[nx + i * ns + k]! + jump * dTime[offset + k]!;
    }
  },
  /** One statement for state `i` and column `k`: y[NX + i·NS + k] += (fb[i] − fa[i]) · dTime. */
  wgsl(y: string, fb: string, fa: string, i: string, k: string, dTime: string): string {
    return `${y}[NX + ${i} * NS + ${k}] = ${y}[NX + ${i} * NS + ${k}] + (${fb}[${i}] - ${fa}[${i}]) * ${dTime};`;
  },
} as const;

/** Which edge of a zero-order input: f_k gains R at the start and loses it at the end. */
export const InputEdge = { start: -1, end: 1 } as const;
export type InputEdge = (typeof InputEdge)[keyof typeof InputEdge];

/** S_k += edge · R ∂τ/∂p: eventTime for f⁺ − f⁻ = −edge · R e_k. */
export const inputEdge = {
  doc: 'a zero-order input of rate R into state k starts or ends at τ(p): S_k −= R ∂τ/∂p at the start, += at the end',
  apply(y: Float64Array, nx: number, ns: number, target: number, edge: InputEdge, rate: number, dTime: ArrayLike<number>): void {
    const base = nx + target * ns;
    const signed = edge * rate;
    for (let q = 0; q < ns; q++) y[base + q] = y[base + q]! + signed * dTime[q]!;
  },
  /** One statement for column `k`. */
  wgsl(y: string, tgt: string, edge: InputEdge, rate: string, dTime: string, k: string): string {
    return `${y}[NX + ${tgt} * NS + ${k}] = ${y}[NX + ${tgt} * NS + ${k}] ${edge === InputEdge.start ? '-' : '+'} ${rate} * ${dTime};`;
  },
} as const;

/** S −= f(τ, X) ∂τ/∂p, with ∂τ/∂p at dTime[0 … ns). */
export const historyShift = {
  doc: 'a steady state reached at τ(p): the periodic history moves with τ, S −= f(τ, X) ∂τ/∂p',
  apply(y: Float64Array, nx: number, ns: number, f: ArrayLike<number>, dTime: ArrayLike<number>): void {
    for (let i = 0; i < nx; i++) {
      const fi = f[i]!;
      if (fi === 0) continue;
      for (let k = 0; k < ns; k++) y[nx + i * ns + k] = y[nx + i * ns + k]! - fi * dTime[k]!;
    }
  },
  /** One statement for state `i` and column `k`. */
  wgsl(y: string, f: string, i: string, k: string, dTime: string): string {
    return `${y}[NX + ${i} * NS + ${k}] = ${y}[NX + ${i} * NS + ${k}] - ${f}[${i}] * ${dTime};`;
  },
} as const;

export const JUMP_RULES: Readonly<Record<'doseAmount' | 'eventTime' | 'inputEdge' | 'historyShift', JumpRule>> = { doseAmount, eventTime, inputEdge, historyShift };
