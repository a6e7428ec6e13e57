/**
 * One-dimensional convolution over time, channels last, stride 1 (cross-correlation, as in every deep-learning
 * library):
 *
 *   y[b, t, o] = Σ_k Σ_c x[b, t + k − padLeft, c] · w[k, c, o],
 *
 * with x read as 0 outside [0, T). Shapes: x [B, T, Cin], w [K, Cin, Cout] → y [B, T + padLeft + padRight −
 * K + 1, Cout]. Bias is added by the layer.
 */
import { Tensor, fromOp } from './tensor.js';

/** The convolution above; `padLeft`/`padRight` zeros are implied at each end of the time axis. */
export function conv1d(x: Tensor, w: Tensor, padLeft = 0, padRight = 0): Tensor {
  if (x.rank !== 3 || w.rank !== 3) throw new Error(`conv1d: expected x [B, T, Cin] and w [K, Cin, Cout], got [${x.shape.join(', ')}] and [${w.shape.join(', ')}]`);
  const [B, T, C] = x.shape as [number, number, number];
  const [K, Cw, O] = w.shape as [number, number, number];
  if (C !== Cw) throw new Error(`conv1d: x has ${C} channels, the kernel expects ${Cw}`);
  const To = T + padLeft + padRight - K + 1;
  if (To < 0) throw new Error(`conv1d: a kernel of width ${K} is wider than the padded sequence (${T} + ${padLeft} + ${padRight})`);
  const xd = x.data;
  const wd = w.data;
  const out = new Float64Array(B * To * O);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < To; t++) {
      const yo = (b * To + t) * O;
      for (let k = 0; k < K; k++) {
        const s = t + k - padLeft;
        if (s < 0 || s >= T) continue;
        const xo = (b * T + s) * C;
        const wk = k * C * O;
        for (let c = 0; c < C; c++) {
          const xv = xd[xo + c]!;
          if (xv === 0) continue;
          const wc = wk + c * O;
          for (let o = 0; o < O; o++) out[yo + o]! += xv * wd[wc + o]!;
        }
      }
    }
  }
  return fromOp(out, [B, To, O], [x, w], (g) => {
    const gx = x.requiresGrad ? x.ensureGrad() : null;
    const gw = w.requiresGrad ? w.ensureGrad() : null;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < To; t++) {
        const yo = (b * To + t) * O;
        for (let k = 0; k < K; k++) {
          const s = t + k - padLeft;
          if (s < 0 || s >= T) continue;
          const xo = (b * T + s) * C;
          const wk = k * C * O;
          for (let c = 0; c < C; c++) {
            const wc = wk + c * O;
            if (gx !== null) {
              // ∂L/∂x[b, s, c] += Σ_o w[k, c, o] g[b, t, o]
              let acc = 0;
              for (let o = 0; o < O; o++) acc += wd[wc + o]! * g[yo + o]!;
              gx[xo + c]! += acc;
            }
            if (gw !== null) {
              // ∂L/∂w[k, c, o] += x[b, s, c] g[b, t, o]
              const xv = xd[xo + c]!;
              if (xv !== 0) for (let o = 0; o < O; o++) gw[wc + o]! += xv * g[yo + o]!;
            }
          }
        }
      }
    }
  });
}
