/**
 * Element-wise ops with their derivatives. Binary ops broadcast (NumPy rules, `broadcast.ts`); a plain number
 * operand is a constant. Each op is one forward loop and one backward loop over Float64Arrays.
 */
import { broadcastMap, broadcastShapes } from './broadcast.js';
import { Tensor, fromOp } from './tensor.js';

/** A tensor or a constant. */
export type Operand = Tensor | number;

const asTensor = (x: Operand): Tensor => (typeof x === 'number' ? new Tensor(Float64Array.of(x), []) : x);

interface Binary {
  a: Tensor;
  b: Tensor;
  shape: number[];
  size: number;
  /** Index maps into a and b, or null where the operand has the output's shape. */
  ma: Int32Array | null;
  mb: Int32Array | null;
}

function binary(x: Operand, y: Operand): Binary {
  const a = asTensor(x);
  const b = asTensor(y);
  const shape = broadcastShapes(a.shape, b.shape);
  let size = 1;
  for (const d of shape) size *= d;
  return { a, b, shape, size, ma: broadcastMap(shape, a.shape), mb: broadcastMap(shape, b.shape) };
}

/** Adds `g` (output layout) into `target` through the operand's index map, scaled by `sign`. */
function accumulate(target: Float64Array, g: Float64Array, map: Int32Array | null, sign: number): void {
  if (map === null) {
    if (sign === 1) for (let i = 0; i < g.length; i++) target[i]! += g[i]!;
    else for (let i = 0; i < g.length; i++) target[i]! -= g[i]!;
  } else if (sign === 1) for (let i = 0; i < g.length; i++) target[map[i]!]! += g[i]!;
  else for (let i = 0; i < g.length; i++) target[map[i]!]! -= g[i]!;
}

/** a + b. */
export function add(x: Operand, y: Operand): Tensor {
  if (typeof y === 'number' && typeof x !== 'number') return shift(x, y);
  if (typeof x === 'number' && typeof y !== 'number') return shift(y, x);
  const { a, b, shape, size, ma, mb } = binary(x, y);
  const ad = a.data, bd = b.data;
  const out = new Float64Array(size);
  if (ma === null && mb === null) for (let i = 0; i < size; i++) out[i] = ad[i]! + bd[i]!;
  else for (let i = 0; i < size; i++) out[i] = ad[ma === null ? i : ma[i]!]! + bd[mb === null ? i : mb[i]!]!;
  return fromOp(out, shape, [a, b], (g) => {
    if (a.requiresGrad) accumulate(a.ensureGrad(), g, ma, 1);
    if (b.requiresGrad) accumulate(b.ensureGrad(), g, mb, 1);
  });
}

/** a − b. */
export function sub(x: Operand, y: Operand): Tensor {
  if (typeof y === 'number' && typeof x !== 'number') return shift(x, -y);
  if (typeof x === 'number' && typeof y !== 'number') return shift(neg(y), x);
  const { a, b, shape, size, ma, mb } = binary(x, y);
  const ad = a.data, bd = b.data;
  const out = new Float64Array(size);
  if (ma === null && mb === null) for (let i = 0; i < size; i++) out[i] = ad[i]! - bd[i]!;
  else for (let i = 0; i < size; i++) out[i] = ad[ma === null ? i : ma[i]!]! - bd[mb === null ? i : mb[i]!]!;
  return fromOp(out, shape, [a, b], (g) => {
    if (a.requiresGrad) accumulate(a.ensureGrad(), g, ma, 1);
    if (b.requiresGrad) accumulate(b.ensureGrad(), g, mb, -1);
  });
}

/** a · b (element-wise). */
export function mul(x: Operand, y: Operand): Tensor {
  if (typeof y === 'number' && typeof x !== 'number') return scale(x, y);
  if (typeof x === 'number' && typeof y !== 'number') return scale(y, x);
  const { a, b, shape, size, ma, mb } = binary(x, y);
  const ad = a.data, bd = b.data;
  const out = new Float64Array(size);
  if (ma === null && mb === null) for (let i = 0; i < size; i++) out[i] = ad[i]! * bd[i]!;
  else for (let i = 0; i < size; i++) out[i] = ad[ma === null ? i : ma[i]!]! * bd[mb === null ? i : mb[i]!]!;
  return fromOp(out, shape, [a, b], (g) => {
    // ∂(ab)/∂a = b, ∂(ab)/∂b = a.
    if (a.requiresGrad) {
      const ga = a.ensureGrad();
      for (let i = 0; i < size; i++) ga[ma === null ? i : ma[i]!]! += g[i]! * bd[mb === null ? i : mb[i]!]!;
    }
    if (b.requiresGrad) {
      const gb = b.ensureGrad();
      for (let i = 0; i < size; i++) gb[mb === null ? i : mb[i]!]! += g[i]! * ad[ma === null ? i : ma[i]!]!;
    }
  });
}

/** a / b (element-wise). */
export function div(x: Operand, y: Operand): Tensor {
  if (typeof y === 'number' && typeof x !== 'number') return scale(x, 1 / y);
  const { a, b, shape, size, ma, mb } = binary(x, y);
  const ad = a.data, bd = b.data;
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = ad[ma === null ? i : ma[i]!]! / bd[mb === null ? i : mb[i]!]!;
  return fromOp(out, shape, [a, b], (g) => {
    // ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b² = −out/b.
    if (a.requiresGrad) {
      const ga = a.ensureGrad();
      for (let i = 0; i < size; i++) ga[ma === null ? i : ma[i]!]! += g[i]! / bd[mb === null ? i : mb[i]!]!;
    }
    if (b.requiresGrad) {
      const gb = b.ensureGrad();
      for (let i = 0; i < size; i++) {
        const j = mb === null ? i : mb[i]!;
        gb[j]! -= (g[i]! * out[i]!) / bd[j]!;
      }
    }
  });
}

/** c · a for a constant c. */
export function scale(a: Tensor, c: number): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = c * ad[i]!;
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += c * g[i]!;
  });
}

/** a + c for a constant c. */
export function shift(a: Tensor, c: number): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = ad[i]! + c;
  return fromOp(out, a.shape, [a], (g) => accumulate(a.ensureGrad(), g, null, 1));
}

/** −a. */
export function neg(a: Tensor): Tensor {
  return scale(a, -1);
}

/** eˣ. */
export function exp(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(ad[i]!);
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += g[i]! * out[i]!;
  });
}

/** Natural log (NaN below 0, −∞ at 0, as Math.log). */
export function log(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(ad[i]!);
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += g[i]! / ad[i]!;
  });
}

/** tanh; d/dx = 1 − tanh². */
export function tanh(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.tanh(ad[i]!);
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += g[i]! * (1 - out[i]! * out[i]!);
  });
}

/** The logistic σ(x) = 1/(1 + e⁻ˣ), computed without overflow for large |x|; σ' = σ(1 − σ). */
export function sigmoid(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) {
    const x = ad[i]!;
    if (x >= 0) out[i] = 1 / (1 + Math.exp(-x));
    else {
      const e = Math.exp(x);
      out[i] = e / (1 + e);
    }
  }
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += g[i]! * out[i]! * (1 - out[i]!);
  });
}

/** max(x, 0); the derivative at 0 is taken as 0. */
export function relu(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = ad[i]! > 0 ? ad[i]! : 0;
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) if (ad[i]! > 0) ga[i]! += g[i]!;
  });
}

/** log(1 + eˣ) = max(x, 0) + log1p(e^−|x|) (no overflow); its derivative is σ(x). */
export function softplus(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) {
    const x = ad[i]!;
    out[i] = (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) {
      const x = ad[i]!;
      const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      ga[i]! += g[i]! * s;
    }
  });
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_K = 0.044715;

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016): ½x(1 + tanh(√(2/π)(x + 0.044715x³))). This is
 * `jax.nn.gelu`'s default (approximate=True), the library of the seed paper; it differs from the erf form
 * x·Φ(x) by less than 5e-4.
 */
export function gelu(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  const th = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) {
    const x = ad[i]!;
    const t = Math.tanh(GELU_C * (x + GELU_K * x * x * x));
    th[i] = t;
    out[i] = 0.5 * x * (1 + t);
  }
  return fromOp(out, a.shape, [a], (g) => {
    // d/dx = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²).
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) {
      const x = ad[i]!;
      const t = th[i]!;
      ga[i]! += g[i]! * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x));
    }
  });
}

/** x². */
export function square(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = ad[i]! * ad[i]!;
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += 2 * ad[i]! * g[i]!;
  });
}

/** √x; d/dx = 1/(2√x) (infinite at 0). */
export function sqrt(a: Tensor): Tensor {
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(ad[i]!);
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += (0.5 * g[i]!) / out[i]!;
  });
}

/** a · m for a constant 0/1 mask m broadcastable to a: zeros the masked entries and their gradients. */
export function applyMask(a: Tensor, mask: Tensor): Tensor {
  return mul(a, mask.requiresGrad ? mask.detach() : mask);
}
