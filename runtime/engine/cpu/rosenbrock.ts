/**
 * An adaptive linearly implicit (Rosenbrock-W) stepper for stiff models, on f64 arrays, from a
 * RosenbrockTableau (compiler/solvers/rosenbrock-tableau.ts; ROS34PW2 by default):
 *
 *   (I − hγW) k_i = h F(t + α_i h, y + Σ_{j<i} α_ij k_j) + h W Σ_{j<i} γ_ij k_j + h² γ_i w
 *
 * The system is the forward-sensitivity system y = [x; S] (sensitivity-system.ts), F = [f; J S + ∂f/∂p] with
 * J = ∂f/∂x. Two approximations, both allowed because ROS34PW2 is a W-method (its order conditions hold for ANY
 * matrix W and any w, see rosenbrock-tableau.ts; the validation checks them), so they cost no order:
 *
 * - W = diag(J, J, …, J), one J block for x and one per sensitivity column, all J(t_n, x_n). The exact Jacobian
 *   of F also has the blocks ∂(J S + ∂f/∂p)/∂x (second derivatives of f) below the diagonal; they are dropped.
 *   So each step needs ONE nx × nx LU factorization of I − hγJ, reused for the 1 + ns blocks: the sensitivity
 *   columns are solved as an nx × ns right-hand side.
 * - w = [∂f/∂t; 0]: the state part uses the model's `rhsDt` (exact; it helps accuracy under fast time-dependent
 *   forcing such as dosing pulses written in the ODE), the sensitivity part ∂(J S + ∂f/∂p)/∂t is taken as zero,
 *   which the W-method conditions allow (the time derivative is just one more entry of the matrix [[W, w], [0, 0]]
 *   applied to the autonomous system (y, t)). A model module without `rhsDt` gets w = 0 everywhere, by the same
 *   argument.
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
    const { alpha, gammaLower, gamma, b, bHat, c, gammaSum } = this.tableau;
    const { nx } = this.layout;
    const n = this.n;
    const k = this.k;
    if (!this.pointValid) {
      this.f(t, y, this.f0);
      this.jacobian(t, y, this.jac, this.dfdt);
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
    for (let i = 0; i < b.length; i++) {
      const aRow = alpha[i]!;
      const gRow = gammaLower[i]!;
      let fi = this.f0;
      if (i > 0) {
        for (let m = 0; m < n; m++) {
          let acc = y[m]!;
          for (let j = 0; j < i; j++) acc += aRow[j]! * k[j]![m]!;
          this.stage[m] = acc;
        }
        this.f(t + c[i]! * h, this.stage, this.fStage);
        fi = this.fStage;
      }
      const ki = k[i]!;
      // u = Σ_{j<i} γ_ij k_j; right-hand side h (F_i + W u) + h² γ_i w.
      this.u.fill(0);
      for (let j = 0; j < i; j++) {
        const g = gRow[j]!;
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
      const [first, ...rest] = this.layout.blocks;
      this.lu.solve(ki, first!.offset, first!.width, this.luWork);
      if (rest.length === 0) continue;
      if (this.coupling === 'lower') {
        // With W = [[J, 0], [H, J]], the rest sees H (u_x + γ k_x,i): the W u term and the implicit term.
        for (let m = 0; m < nx; m++) this.dir[m] = this.u[m]! + gamma * ki[m]!;
        this.addCoupling(t, y, h, ki);
      }
      for (const blk of rest) this.lu.solve(ki, blk.offset, blk.width, this.luWork);
    }
    for (let m = 0; m < n; m++) {
      let sol = 0;
      let e = 0;
      for (let i = 0; i < b.length; i++) {
        const km = k[i]![m]!;
        sol += b[i]! * km;
        e += (b[i]! - bHat[i]!) * km;
      }
      yNew[m] = y[m]! + sol;
      err[m] = e;
    }
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
 * How W couples the blocks after the first (the sensitivity columns) to the first (the state):
 * - 'diagonal': W = diag(J, …, J), nothing more per stage;
 * - 'lower': W = [[J, 0], [H, J]] with H = ∂(J S + ∂f/∂p)/∂x, the exact block of the sensitivity system's
 *   Jacobian, applied by a directional finite difference (one more F evaluation per stage). The solve stays one
 *   nx × nx LU per step (block forward substitution). Needs the first block to be the state (offset 0, width 1).
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
