/**
 * An adaptive linearly implicit (Rosenbrock-W) stepper for stiff models, on f64 arrays, from a
 * RosenbrockTableau (compiler/solvers/rosenbrock-tableau.ts; ROS34PW2 by default):
 *
 *   (I − hγW) k_i = h F(t + α_i h, y + Σ_{j<i} α_ij k_j) + h W Σ_{j<i} γ_ij k_j + h² γ_i w
 *
 * The system is the forward-sensitivity system y = [x; S] (sensitivity-system.ts), F = [f; J S + ∂f/∂p] with
 * J = ∂f/∂x. Its exact Jacobian is block lower triangular, [[J, 0], [H, diag(J, …, J)]] with
 * H = ∂(J S + ∂f/∂p)/∂x (second derivatives of f). ROS34PW2 is a W-method: its order conditions hold for ANY
 * matrix W and any w (rosenbrock-tableau.ts; the validation checks them), so approximating W and w costs no
 * order. Two choices of W (`Coupling`), both needing ONE nx × nx LU of I − hγJ per step, reused for the 1 + ns
 * blocks (the sensitivity columns are solved as one nx × ns right-hand side):
 *
 * - 'diagonal' (the default): W = diag(J, J, …, J), H dropped; w = [∂f/∂t; 0]. Nothing beyond J per step.
 * - 'lower': W = the exact block lower-triangular Jacobian, with H applied by a directional forward difference of F
 *   (one more F evaluation per stage) and w = [∂f/∂t; ∂(J S + ∂f/∂p)/∂t], the sensitivity part by a forward
 *   difference in t (one more F evaluation per step). The solve stays one LU per step (block forward substitution).
 *   Why it exists: on stiff problems H has stiff entries (the second derivatives times S), and dropping them, while
 *   keeping the order, degrades the error constants of the sensitivities: on Robertson's problem (t ≤ 4e4) with
 *   3 sensitivity columns ROS34PW2 takes 1373 steps with 'diagonal' against 472 with 'lower' at rtol 1e-6,
 *   atol 1e-10, and 59 284 against 5 493 at rtol 1e-9, atol 1e-14 (without sensitivities: 442 and 4728).
 *
 * The time derivative: the state part of w is the model's `rhsDt` (exact). The sensitivity part is zero with
 * 'diagonal', which the W-method conditions allow (w is one more column of the matrix [[W, w], [0, 0]] used for the
 * autonomous system (y, t), see rosenbrock-tableau.ts); a model module without `rhsDt` gets w_x = 0 by the same
 * argument.
 *
 * J, w and F(t_n, y_n) are evaluated once per point and reused when a rejected step is retried with a smaller h;
 * the LU is redone only when h changes.
 */
import type { RosenbrockTableau } from '../../../compiler/solvers/rosenbrock-tableau.js';
import type { CpuModel } from './cpu-model.js';
import { DenseLu } from './dense-lu.js';
import type { Derivative } from './explicit-rk.js';
import type { Stepper } from './stepper.js';

/** Writes W = ∂F/∂x (nx × nx, row-major) and w ≈ ∂F/∂t (length n) at (t, y). */
export type JacobianFn = (t: number, y: Float64Array, dfdx: Float64Array, dfdt: Float64Array) => void;

/**
 * How the system vector splits into blocks that share the matrix W: block b is an nx × width row-major matrix
 * starting at `offset` (entry (i, k) at offset + i·width + k). Blocks must cover the vector exactly once.
 */
export interface BlockLayout {
  readonly nx: number;
  readonly blocks: readonly { readonly offset: number; readonly width: number }[];
}

export class RosenbrockStepper implements Stepper {
  readonly n: number;
  private readonly k: Float64Array[];
  private readonly stage: Float64Array;
  private readonly fStage: Float64Array;
  private readonly u: Float64Array;
  private readonly wu: Float64Array;
  private readonly f0: Float64Array;
  private readonly dfdt: Float64Array;
  private readonly jac: Float64Array;
  private readonly matrix: Float64Array;
  private readonly lu: DenseLu;
  private readonly luWork: Float64Array;
  /** Whether f0, jac and dfdt hold the values at the current point. */
  private pointValid = false;
  private readonly yPert: Float64Array;
  private readonly fPert: Float64Array;
  private readonly dir: Float64Array;
  /** The tableau as Float64Arrays (α and Γ below the diagonal s × s row-major; e = b − bHat), for the inner loops. */
  private readonly coefficients: { alpha: Float64Array; gammaLower: Float64Array; b: Float64Array; e: Float64Array; c: Float64Array; gammaSum: Float64Array };
  /** The first block (the state) and the others (the sensitivity columns). */
  private readonly first: { readonly offset: number; readonly width: number };
  private readonly rest: readonly { readonly offset: number; readonly width: number }[];
  /** The h the LU factors belong to (NaN: none), and whether that factorization succeeded. */
  private factoredH = NaN;
  private factorOk = false;

  constructor(
    readonly tableau: RosenbrockTableau,
    readonly layout: BlockLayout,
    private readonly f: Derivative,
    private readonly jacobian: JacobianFn,
    /** How the blocks after the first are coupled to it in W (see `Coupling`). */
    readonly coupling: Coupling = 'diagonal',
  ) {
    const { nx, blocks } = layout;
    this.n = blocks.reduce((acc, b) => acc + nx * b.width, 0);
    const covered = new Uint8Array(this.n);
    for (const b of blocks) for (let i = 0; i < nx * b.width; i++) covered[b.offset + i]! += 1;
    if (!covered.every((v) => v === 1)) throw new Error('RosenbrockStepper: the blocks must cover the system vector exactly once');
    if (coupling === 'lower' && (blocks[0]?.offset !== 0 || blocks[0].width !== 1)) throw new Error("RosenbrockStepper: 'lower' coupling needs the state block (offset 0, width 1) first");
    const n = this.n;
    const [first, ...rest] = blocks;
    if (!first) throw new Error('RosenbrockStepper: no blocks');
    this.first = first;
    this.rest = rest;
    const s = tableau.b.length;
    const square = (rows: readonly (readonly number[])[]): Float64Array => {
      const out = new Float64Array(s * s);
      rows.forEach((row, i) => row.forEach((v, j) => (out[i * s + j] = v)));
      return out;
    };
    this.coefficients = {
      alpha: square(tableau.alpha), gammaLower: square(tableau.gammaLower), b: Float64Array.from(tableau.b),
      e: Float64Array.from(tableau.b, (v, i) => v - tableau.bHat[i]!), c: Float64Array.from(tableau.c), gammaSum: Float64Array.from(tableau.gammaSum),
    };
    this.k = tableau.b.map(() => new Float64Array(n));
    this.stage = new Float64Array(n);
    this.fStage = new Float64Array(n);
    this.u = new Float64Array(n);
    this.wu = new Float64Array(n);
    this.f0 = new Float64Array(n);
    this.dfdt = new Float64Array(n);
    this.jac = new Float64Array(nx * nx);
    this.matrix = new Float64Array(nx * nx);
    this.yPert = new Float64Array(n);
    this.fPert = new Float64Array(n);
    this.dir = new Float64Array(nx);
    this.lu = new DenseLu(nx);
    this.luWork = new Float64Array(nx * Math.max(1, ...blocks.map((b) => b.width)));
  }

  get order(): number {
    return this.tableau.order;
  }

  get embeddedOrder(): number {
    return this.tableau.embeddedOrder;
  }

  invalidate(): void {
    this.pointValid = false;
    this.factoredH = NaN;
  }

  accept(): void {
    this.invalidate();
  }

  step(t: number, y: Float64Array, h: number, yNew: Float64Array, err: Float64Array): void {
    const { alpha, gammaLower, b, e: bErr, c, gammaSum } = this.coefficients;
    const gamma = this.tableau.gamma;
    const s = b.length;
    const { nx } = this.layout;
    const n = this.n;
    const k = this.k;
    if (!this.pointValid) {
      this.f(t, y, this.f0);
      this.jacobian(t, y, this.jac, this.dfdt);
      if (this.coupling === 'lower' && this.rest.length > 0) this.sensitivityTimeDerivative(t, y);
      this.pointValid = true;
      this.factoredH = NaN;
    }
    if (h !== this.factoredH) {
      // I − hγJ
      for (let i = 0; i < nx * nx; i++) this.matrix[i] = -h * gamma * this.jac[i]!;
      for (let i = 0; i < nx; i++) this.matrix[i * nx + i] = this.matrix[i * nx + i]! + 1;
      this.factorOk = this.lu.factor(this.matrix);
      this.factoredH = h;
    }
    if (!this.factorOk) {
      // Singular or non-finite: let the controller shrink the step.
      yNew.set(y);
      err.fill(NaN);
      return;
    }
    for (let i = 0; i < s; i++) {
      let fi = this.f0;
      if (i > 0) {
        for (let m = 0; m < n; m++) {
          let acc = y[m]!;
          for (let j = 0; j < i; j++) acc += alpha[i * s + j]! * k[j]![m]!;
          this.stage[m] = acc;
        }
        this.f(t + c[i]! * h, this.stage, this.fStage);
        fi = this.fStage;
      }
      const ki = k[i]!;
      // u = Σ_{j<i} γ_ij k_j; right-hand side h (F_i + W u) + h² γ_i w.
      this.u.fill(0);
      for (let j = 0; j < i; j++) {
        const g = gammaLower[i * s + j]!;
        if (g === 0) continue;
        const kj = k[j]!;
        for (let m = 0; m < n; m++) this.u[m] = this.u[m]! + g * kj[m]!;
      }
      if (i > 0) {
        this.applyW(this.u, this.wu);
        for (let m = 0; m < n; m++) ki[m] = h * (fi[m]! + this.wu[m]!);
      } else {
        for (let m = 0; m < n; m++) ki[m] = h * fi[m]!;
      }
      const ht = h * h * gammaSum[i]!;
      if (ht !== 0) for (let m = 0; m < n; m++) ki[m] = ki[m]! + ht * this.dfdt[m]!;
      this.lu.solve(ki, this.first.offset, this.first.width, this.luWork);
      if (this.rest.length === 0) continue;
      if (this.coupling === 'lower') {
        // With W = [[J, 0], [H, J]], the rest sees H (u_x + γ k_x,i): the W u term and the implicit term.
        for (let m = 0; m < nx; m++) this.dir[m] = this.u[m]! + gamma * ki[m]!;
        this.addCoupling(t, y, h, ki);
      }
      for (const blk of this.rest) this.lu.solve(ki, blk.offset, blk.width, this.luWork);
    }
    for (let m = 0; m < n; m++) {
      let sol = 0;
      let e = 0;
      for (let i = 0; i < s; i++) {
        const km = k[i]![m]!;
        sol += b[i]! * km;
        e += bErr[i]! * km;
      }
      yNew[m] = y[m]! + sol;
      err[m] = e;
    }
  }

  /**
   * w[nx…n) = ∂F_rest/∂t at (t, y) by a forward difference in t (forward: at a stop, the side being integrated).
   * For y = [x; S] this is ∂(J S + ∂f/∂p)/∂t.
   */
  private sensitivityTimeDerivative(t: number, y: Float64Array): void {
    const dt = Math.sqrt(Number.EPSILON) * Math.max(1, Math.abs(t));
    this.f(t + dt, y, this.fPert);
    for (let m = this.layout.nx; m < this.n; m++) this.dfdt[m] = (this.fPert[m]! - this.f0[m]!) / dt;
  }

  /**
   * out[nx…n) += h · H · dir, H = ∂F_rest/∂x at the step's start point, by a forward difference along dir:
   * (F(t, y + ε[dir; 0]) − F(t, y)) / ε. Its O(ε) error only changes W, which a W-method tolerates.
   */
  private addCoupling(t: number, y: Float64Array, h: number, out: Float64Array): void {
    const { nx } = this.layout;
    const n = this.n;
    let vmax = 0;
    let xmax = 0;
    for (let m = 0; m < nx; m++) {
      vmax = Math.max(vmax, Math.abs(this.dir[m]!));
      xmax = Math.max(xmax, Math.abs(y[m]!));
    }
    if (!(vmax > 0) || !Number.isFinite(vmax)) return;
    const eps = (Math.sqrt(Number.EPSILON) * Math.max(1, xmax)) / vmax;
    this.yPert.set(y);
    for (let m = 0; m < nx; m++) this.yPert[m] = y[m]! + eps * this.dir[m]!;
    this.f(t, this.yPert, this.fPert);
    const scale = h / eps;
    for (let m = nx; m < n; m++) out[m] = out[m]! + scale * (this.fPert[m]! - this.f0[m]!);
  }

  /** out = diag(J, …, J) · v, block by block. */
  private applyW(v: Float64Array, out: Float64Array): void {
    const { nx, blocks } = this.layout;
    const jac = this.jac;
    for (const { offset, width } of blocks) {
      for (let i = 0; i < nx; i++) {
        for (let w = 0; w < width; w++) {
          let acc = 0;
          for (let j = 0; j < nx; j++) acc += jac[i * nx + j]! * v[offset + j * width + w]!;
          out[offset + i * width + w] = acc;
        }
      }
    }
  }
}

/**
 * How W couples the blocks after the first (the sensitivity columns) to the first (the state), see the file comment:
 * - 'diagonal': W = diag(J, …, J), w = [∂f/∂t; 0];
 * - 'lower': W = [[J, 0], [H, J]] with H = ∂(J S + ∂f/∂p)/∂x by a directional forward difference (one more F
 *   evaluation per stage), and the sensitivity part of w by a forward difference in t (one per step). Needs the
 *   first block to be the state (offset 0, width 1).
 */
export type Coupling = 'diagonal' | 'lower';

/** The block layout of y = [x; S] (S row-major nx × ns): the state block, then the sensitivity columns as one block. */
export function sensitivityLayout(nx: number, ns: number, withSensitivities: boolean): BlockLayout {
  return { nx, blocks: withSensitivities && ns > 0 ? [{ offset: 0, width: 1 }, { offset: nx, width: ns }] : [{ offset: 0, width: 1 }] };
}

/** W = ∂f/∂x(t, x) and w = [∂f/∂t; 0] (see the file comment) for one subject's parameters and covariates. */
export function modelJacobian(model: CpuModel, p: Float64Array, c: Float64Array): JacobianFn {
  const { nx } = model.dims;
  return (t, y, dfdx, dfdt) => {
    const x = y.subarray(0, nx);
    model.rhsDx(t, x, p, c, dfdx);
    dfdt.fill(0);
    if (model.rhsDt) model.rhsDt(t, x, p, c, dfdt.subarray(0, nx));
  };
}
