/**
 * Reduce the learning rate when a monitored metric stops improving (seed 001, supplementary 5.1–5.2: "if the
 * monitored metric did not improve for 50 consecutive epochs, the learning rate was reduced to 0.05").
 *
 * Each `step(metric)` is one epoch. An epoch improves when the metric beats the best so far by more than
 * `threshold` (relative): metric < best − threshold·|best| for 'min'. When `patience` consecutive epochs have not
 * improved, lr ← max(lr·factor, minLr), the count restarts, and `cooldown` epochs pass before counting again.
 * (PyTorch's ReduceLROnPlateau waits one epoch more: it reduces when the count exceeds patience.)
 */
export interface ReduceOnPlateauOptions {
  readonly lr: number;
  /** Multiplier at each reduction; default 0.5. */
  readonly factor?: number;
  /** Non-improving epochs that trigger a reduction; default 10. */
  readonly patience?: number;
  /** Lower bound of lr; default 0. With lr 0.1, factor 0.5 and minLr 0.05 this reduces once, as in the seed. */
  readonly minLr?: number;
  /** Relative improvement that counts; default 0 (any strict improvement). */
  readonly threshold?: number;
  /** Epochs after a reduction during which bad epochs are not counted; default 0. */
  readonly cooldown?: number;
  /** 'min' (a loss, the default) or 'max' (e.g. the ELBO). */
  readonly mode?: 'min' | 'max';
}

export class ReduceOnPlateau {
  lr: number;
  /** The best metric so far (in the 'min' sense after sign flip for 'max'). */
  best = Infinity;
  /** Consecutive epochs without improvement. */
  badEpochs = 0;
  /** Number of reductions so far. */
  reductions = 0;
  private cooldownLeft = 0;
  private readonly factor: number;
  private readonly patience: number;
  private readonly minLr: number;
  private readonly threshold: number;
  private readonly cooldown: number;
  private readonly sign: number;

  constructor(options: ReduceOnPlateauOptions) {
    this.lr = options.lr;
    this.factor = options.factor ?? 0.5;
    this.patience = options.patience ?? 10;
    this.minLr = options.minLr ?? 0;
    this.threshold = options.threshold ?? 0;
    this.cooldown = options.cooldown ?? 0;
    this.sign = options.mode === 'max' ? -1 : 1;
    if (!(this.factor > 0 && this.factor < 1)) throw new Error(`ReduceOnPlateau: factor must be in (0, 1), got ${this.factor}`);
    if (!(Number.isInteger(this.patience) && this.patience >= 1)) throw new Error(`ReduceOnPlateau: patience must be a positive integer, got ${this.patience}`);
  }

  /** Records one epoch's metric (NaN counts as no improvement) and returns the learning rate to use next. */
  step(metric: number): number {
    const value = this.sign * metric;
    const target = this.best === Infinity ? Infinity : this.best - this.threshold * Math.abs(this.best);
    if (value < target) {
      this.best = value;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs >= this.patience) {
      const next = Math.max(this.lr * this.factor, this.minLr);
      if (next < this.lr) this.reductions++;
      this.lr = next;
      this.badEpochs = 0;
      this.cooldownLeft = this.cooldown;
    }
    return this.lr;
  }
}
