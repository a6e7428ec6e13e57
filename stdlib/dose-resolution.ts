/**
 * How a dose becomes what the integrator gives — a bolus of amount F at time τ, or a zero-order input of rate R
 * for a duration D from τ — with every quantity's ∂/∂p: the one description both back ends follow, in the style of
 * jump-rules.ts (each rule's f64 form, which runtime/engine/cpu/cpu-rows.ts calls, and its WGSL spelling, which
 * compiler/emit-wgsl/kernel.ts prints; the same floating-point operations in both, so the back ends differ only in
 * precision).
 *
 * A data dose (amount A, RATE, time t of its row) into an input with lag L(p), bioavailability B(p), and, where the
 * model declares them, a duration D(p) or a rate R(p):
 *
 *   τ = t + L,  ∂τ/∂p = ∂L/∂p                                      (`laggedTime`)
 *   F = A·B,    ∂F/∂p = A·∂B/∂p                                    (`bioavailableAmount`)
 *
 * | mode (`DOSE_MODES`, first that holds) | when | given | from |
 * | --- | --- | --- | --- |
 * | dataRate | RATE > 0 | rate | the data: R = RATE, ∂R/∂p = 0 |
 * | modelDuration | RATE = −2, or RATE = 0 and the model's D > 0 | duration | the model: D(p) |
 * | modelRate | RATE = −1, or RATE = 0 and the model's R > 0 | rate | the model: R(p) |
 * | bolus | otherwise | — | x_k += F at τ |
 *
 * An infusion's other quantity is the amount over the given one (`perAmount`: R = F/D or D = F/R, with
 * ∂(F/Y)/∂p = ∂F/∂p / Y − F ∂Y/∂p / Y²), it ends at τ + D (`endTime`: ∂end/∂p = ∂τ/∂p + ∂D/∂p), and a data dose's
 * must have R > 0 and D > 0 (`validInfusion`; otherwise the row fails, status NonFinite). A model-declared dose
 * (amount A(p) at time τ(p), duration D(p)) is an infusion given by its duration when D > 0 (`modelDoseIsInfusion`),
 * else a bolus.
 * The jumps these cause in [x; S] are jump-rules.ts's; the order of events at one time is dose-events.ts's.
 */

export const DoseMode = { bolus: 0, dataRate: 1, modelDuration: 2, modelRate: 3 } as const;
export type DoseMode = (typeof DoseMode)[keyof typeof DoseMode];

/** The quantity an infusion mode gives (the other is the amount over it), and where it comes from. */
export interface DoseModeRule {
  readonly mode: DoseMode;
  readonly given: 'rate' | 'duration';
  /** 'data': the dose's RATE (∂/∂p = 0); 'model': the input's declared duration or rate. */
  readonly from: 'data' | 'model';
  /** The RATE code that asks for the model's quantity (NONMEM: −1 rate, −2 duration); none for the data's rate. */
  readonly code?: number;
  readonly doc: string;
}

/** The infusion modes in the order they are tried: the first that holds decides; none holds: a bolus. */
export const DOSE_MODES: readonly DoseModeRule[] = [
  { mode: DoseMode.dataRate, given: 'rate', from: 'data', doc: 'RATE > 0: the rate is the data’s' },
  { mode: DoseMode.modelDuration, given: 'duration', from: 'model', code: -2, doc: 'RATE = −2, or RATE = 0 and the model declares a duration > 0' },
  { mode: DoseMode.modelRate, given: 'rate', from: 'model', code: -1, doc: 'RATE = −1, or RATE = 0 and the model declares a rate > 0' },
];

/** The WGSL constant of a mode: DOSE_BOLUS, DOSE_DATA_RATE, … */
export function doseModeWgsl(mode: DoseMode): string {
  const name = Object.entries(DoseMode).find(([, code]) => code === mode)![0];
  return `DOSE_${name.replace(/[A-Z]/g, (ch) => `_${ch}`).toUpperCase()}`;
}

function holds(rule: DoseModeRule, dataRate: number, modelDuration: number, modelRate: number): boolean {
  if (rule.code === undefined) return dataRate > 0;
  return dataRate === rule.code || (dataRate === 0 && (rule.given === 'duration' ? modelDuration : modelRate) > 0);
}

/** The WGSL condition of `holds`, on the kernel's names of RATE and the model's duration and rate. */
function holdsWgsl(rule: DoseModeRule, dataRate: string, modelDuration: string, modelRate: string): string {
  if (rule.code === undefined) return `${dataRate} > 0.0`;
  return `${dataRate} == ${rule.code.toFixed(1)} || (${dataRate} == 0.0 && ${rule.given === 'duration' ? modelDuration : modelRate} > 0.0)`;
}

/** How a data dose is given: the first of DOSE_MODES that holds, else a bolus. */
export const doseMode = {
  apply(dataRate: number, modelDuration: number, modelRate: number): DoseMode {
    for (const rule of DOSE_MODES) if (holds(rule, dataRate, modelDuration, modelRate)) return rule.mode;
    return DoseMode.bolus;
  },
  /** `fn dose_mode(drate, dur, rate) -> u32` and the mode constants. */
  wgsl(): string {
    const names = Object.values(DoseMode).map((code) => `const ${doseModeWgsl(code)}: u32 = ${code}u;`);
    const tests = DOSE_MODES.map((r) => `  if (${holdsWgsl(r, 'drate', 'dur', 'rate')}) { return ${doseModeWgsl(r.mode)}; }`);
    return `${names.join('\n')}\n// How a data dose is given (stdlib/dose-resolution.ts, DOSE_MODES): the first mode that holds, else a bolus.\nfn dose_mode(drate: f32, dur: f32, rate: f32) -> u32 {\n${tests.join('\n')}\n  return ${doseModeWgsl(DoseMode.bolus)};\n}`;
  },
} as const;

/** The rule of an infusion mode (undefined for a bolus). */
export function doseModeRule(mode: DoseMode): DoseModeRule | undefined {
  return DOSE_MODES.find((r) => r.mode === mode);
}

/** The WGSL test that a mode gives the rate (the duration is then the amount over it). */
export function givesRateWgsl(mode: string): string {
  return DOSE_MODES.filter((r) => r.given === 'rate').map((r) => `${mode} == ${doseModeWgsl(r.mode)}`).join(' || ');
}

/** F = A·B, ∂F/∂p = A·∂B/∂p. */
export const bioavailableAmount = {
  apply(amount: number, bio: number, dBio: ArrayLike<number>, dF: Float64Array, ns: number): number {
    for (let q = 0; q < ns; q++) dF[q] = amount * dBio[q]!;
    return amount * bio;
  },
  value: (amount: string, bio: string): string => `${amount} * ${bio}`,
  /** One entry: ∂F/∂p_k. */
  dp: (amount: string, dBio: string): string => `${amount} * ${dBio}`,
} as const;

/** τ = t + L, ∂τ/∂p = ∂L/∂p. */
export const laggedTime = {
  apply: (time: number, lag: number): number => time + lag,
  value: (time: string, lag: string): string => `${time} + ${lag}`,
} as const;

/** X = F/Y and ∂X/∂p = ∂F/∂p / Y − F ∂Y/∂p / Y²: an infusion's rate from its duration, or its duration from its rate. */
export const perAmount = {
  apply(F: number, dF: ArrayLike<number>, Y: number, dY: ArrayLike<number>, dX: Float64Array, ns: number): number {
    for (let q = 0; q < ns; q++) dX[q] = dF[q]! / Y - (F * dY[q]!) / (Y * Y);
    return F / Y;
  },
  value: (F: string, Y: string): string => `${F} / ${Y}`,
  /** One entry: ∂X/∂p_k from ∂F/∂p_k and ∂Y/∂p_k. */
  dp: (F: string, dF: string, Y: string, dY: string): string => `${dF} / ${Y} - ${F} * ${dY} / (${Y} * ${Y})`,
} as const;

/** end = τ + D, ∂end/∂p = ∂τ/∂p + ∂D/∂p. */
export const endTime = {
  apply(start: number, dStart: ArrayLike<number>, duration: number, dDuration: ArrayLike<number>, dEnd: Float64Array, ns: number): number {
    for (let q = 0; q < ns; q++) dEnd[q] = dStart[q]! + dDuration[q]!;
    return start + duration;
  },
  value: (start: string, duration: string): string => `${start} + ${duration}`,
  dp: (dStart: string, dDuration: string): string => `${dStart} + ${dDuration}`,
} as const;

/** A data dose's infusion needs R > 0 and D > 0 (not NaN either); otherwise its row fails. */
export const validInfusion = {
  apply: (rate: number, duration: number): boolean => rate > 0 && duration > 0,
  wgsl: (rate: string, duration: string): string => `${rate} > 0.0 && ${duration} > 0.0`,
} as const;

/** A model-declared dose is an infusion (given by its duration) when D > 0, else a bolus. */
export const modelDoseIsInfusion = {
  apply: (duration: number): boolean => duration > 0,
  wgsl: (duration: string): string => `${duration} > 0.0`,
} as const;

/** An infusion's rate and duration with their ∂/∂p (the caller's arrays). */
export interface ResolvedInfusion {
  rate: number;
  duration: number;
  readonly dRate: Float64Array;
  readonly dDuration: Float64Array;
}

/**
 * The infusion of amount F (∂F/∂p dF) given by its `given` quantity Y (∂Y/∂p dY): the other by perAmount. `dY`
 * may be `out.dRate` or `out.dDuration` when that is the given one.
 */
export function resolveInfusion(given: DoseModeRule['given'], F: number, dF: ArrayLike<number>, Y: number, dY: ArrayLike<number>, out: ResolvedInfusion, ns: number): void {
  const [dGiven, dOther] = given === 'rate' ? [out.dRate, out.dDuration] : [out.dDuration, out.dRate];
  if (dGiven !== dY) for (let q = 0; q < ns; q++) dGiven[q] = dY[q]!;
  const other = perAmount.apply(F, dF, Y, dGiven, dOther, ns);
  out.rate = given === 'rate' ? Y : other;
  out.duration = given === 'rate' ? other : Y;
}

/**
 * The WGSL of resolveInfusion: `struct Infusion_` and `fn resolve_infusion(gives_rate, F, dF, Y, dY)`, for `ns`
 * sensitivity columns.
 */
export function resolveInfusionWgsl(ns: number): string {
  const vs = `array<f32, ${Math.max(1, ns)}>`;
  return `// An infusion's rate and duration with ∂/∂p (stdlib/dose-resolution.ts, resolveInfusion): the given one Y, the other F / Y.
struct ResolvedInfusion {
  R: f32,
  D: f32,
  dR: ${vs},
  dD: ${vs},
}
fn resolve_infusion(gives_rate: bool, F: f32, dF: ${vs}, Y: f32, dY: ${vs}) -> ResolvedInfusion {
  var out: ResolvedInfusion;
  let X = ${perAmount.value('F', 'Y')};
  var dX: ${vs};
  for (var k = 0u; k < NS; k++) { dX[k] = ${perAmount.dp('F', 'dF[k]', 'Y', 'dY[k]')}; }
  out.R = select(X, Y, gives_rate);
  out.D = select(Y, X, gives_rate);
  for (var k = 0u; k < NS; k++) {
    out.dR[k] = select(dX[k], dY[k], gives_rate);
    out.dD[k] = select(dY[k], dX[k], gives_rate);
  }
  return out;
}`;
}
