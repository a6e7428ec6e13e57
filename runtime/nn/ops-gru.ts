/**
 * The GRU's gate arithmetic for one time step, fused into one op (the recurrent matrix product stays a
 * `matmul`). Composing it from element-wise ops costs ~15 allocations and graph nodes per step; fused, the
 * GRU's forward + backward on 100 sequences × 10 steps, hidden 32, takes ~12 ms of CPU instead of ~17. The
 * test suite checks it against the composed form.
 *
 * Inputs: xp [B, T, 3H] (x·Wx + bx for every step; step t is read), hp [B, 3H] (h·Wh + bh), h [B, H], and the
 * step's mask m [B] (or null: all valid). Gate blocks are ordered (r, z, n):
 *
 *   r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r·hn),  h' = n + z(h − n),  out = h + m(h' − h).
 *
 * Backward, from g = ∂L/∂out:  dh' = m·g;  dn = dh'(1 − z);  dz = dh'(h − n);  dh = (1 − m)g + m·g·z;
 * da_n = dn(1 − n²) → xn, and r·da_n → hn;  dr = da_n·hn;  da_r = dr·r(1 − r) → xr, hr;  da_z = dz·z(1 − z) → xz, hz.
 */
import { Tensor, fromOp } from './tensor.js';

/** One masked GRU step (see the file comment): returns the new state [B, H]. */
export function gruStep(xp: Tensor, t: number, hp: Tensor, h: Tensor, mask: Float64Array | null): Tensor {
  const [B, T, H3] = xp.shape as [number, number, number];
  const H = H3 / 3;
  if (hp.size !== B * H3 || h.size !== B * H) throw new Error(`gruStep: expected hp [${B}, ${H3}] and h [${B}, ${H}], got [${hp.shape.join(', ')}] and [${h.shape.join(', ')}]`);
  const xd = xp.data, hpd = hp.data, hd = h.data;
  const r = new Float64Array(B * H);
  const z = new Float64Array(B * H);
  const n = new Float64Array(B * H);
  const out = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    const xo = (b * T + t) * H3;
    const po = b * H3;
    const m = mask === null ? 1 : mask[b]!;
    for (let j = 0; j < H; j++) {
      const q = b * H + j;
      const ar = xd[xo + j]! + hpd[po + j]!;
      const az = xd[xo + H + j]! + hpd[po + H + j]!;
      const rj = sigmoid(ar);
      const zj = sigmoid(az);
      const nj = Math.tanh(xd[xo + 2 * H + j]! + rj * hpd[po + 2 * H + j]!);
      r[q] = rj;
      z[q] = zj;
      n[q] = nj;
      const hj = hd[q]!;
      const hNew = nj + zj * (hj - nj);
      out[q] = m === 1 ? hNew : hj + m * (hNew - hj);
    }
  }
  return fromOp(out, [B, H], [xp, hp, h], (g) => {
    const gx = xp.requiresGrad ? xp.ensureGrad() : null;
    const gp = hp.requiresGrad ? hp.ensureGrad() : null;
    const gh = h.requiresGrad ? h.ensureGrad() : null;
    for (let b = 0; b < B; b++) {
      const xo = (b * T + t) * H3;
      const po = b * H3;
      const m = mask === null ? 1 : mask[b]!;
      if (m === 0) {
        if (gh !== null) for (let j = 0; j < H; j++) gh[b * H + j]! += g[b * H + j]!;
        continue;
      }
      for (let j = 0; j < H; j++) {
        const q = b * H + j;
        const rj = r[q]!, zj = z[q]!, nj = n[q]!, hj = hd[q]!;
        const gq = g[q]!;
        const dhNew = m * gq;
        const dn = dhNew * (1 - zj);
        const dz = dhNew * (hj - nj);
        const dan = dn * (1 - nj * nj);
        const hn = hpd[po + 2 * H + j]!;
        const dar = dan * hn * rj * (1 - rj);
        const daz = dz * zj * (1 - zj);
        if (gx !== null) {
          gx[xo + j]! += dar;
          gx[xo + H + j]! += daz;
          gx[xo + 2 * H + j]! += dan;
        }
        if (gp !== null) {
          gp[po + j]! += dar;
          gp[po + H + j]! += daz;
          gp[po + 2 * H + j]! += dan * rj;
        }
        if (gh !== null) gh[q]! += (1 - m) * gq + dhNew * zj;
      }
    }
  });
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
