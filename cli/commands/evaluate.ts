/** `nlmc evaluate model.fit [--samples 500] [--seed 1] [--bins 10]`: NPDE, shrinkage, per-subject −2LL, VPC. */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { evaluateRun } from '../../runtime/evaluate/evaluate.js';
import type { VpcBinning } from '../../runtime/evaluate/vpc-design.js';
import { likelihoodMethod, writeEvaluation } from '../../runtime/evaluate/write.js';

export interface EvaluateArgs {
  readonly fit: string;
  readonly samples: number;
  readonly seed: number;
  readonly bins: number;
  /** VPC bins by time (default) or time after dose. */
  readonly binning?: VpcBinning;
  /** A covariate: one VPC per stratum. */
  readonly stratify?: string;
  readonly data?: string;
  readonly map: Record<string, string>;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

/** Exit code: 0 written, 1 bad arguments or an unusable fit, 2 no such run folder or dataset. */
export async function runEvaluate(args: EvaluateArgs, io: Io): Promise<number> {
  if (!existsSync(args.fit)) {
    io.stderr(`nlmc evaluate: cannot read ${args.fit}: no such run folder or fit.json\n`);
    return 2;
  }
  if (!(Number.isInteger(args.samples) && args.samples >= 20) || !(Number.isInteger(args.bins) && args.bins >= 1)) {
    io.stderr('nlmc evaluate: --samples takes a whole number ≥ 20 and --bins a whole number ≥ 1\n');
    return 1;
  }
  const dir = statSync(args.fit).isDirectory() ? args.fit : dirname(args.fit);
  let e;
  try {
    e = await evaluateRun(args.fit, { samples: args.samples, seed: args.seed, bins: args.bins, map: args.map, ...(args.binning ? { binning: args.binning } : {}), ...(args.stratify ? { stratify: args.stratify } : {}), ...(args.data ? { data: args.data } : {}) });
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    io.stderr(`nlmc evaluate: ${(err as Error).message}${missing ? ' (the dataset is read from the path fit.json names, relative to where `nlmc fit` ran: give it with --data)' : ''}\n`);
    return missing ? 2 : 1;
  }
  if (!e.run.fit.complete) io.stderr(`nlmc evaluate: warning: the fit did not complete (${e.run.fit.message}); its estimates are evaluated as they are\n`);
  for (const n of e.notes) io.stderr(`nlmc evaluate: note: ${n}\n`);
  const written = writeEvaluation(dir, e);
  const s = e.npdeSummary;
  io.stdout(`NPDE (${s.n} observations, K = ${args.samples}): mean ${s.mean.toFixed(3)} (SE ${s.meanSe.toFixed(3)}, p ${s.meanP.toPrecision(2)})  variance ${s.variance.toFixed(3)} (p ${s.varianceP.toPrecision(2)})  KS D ${s.ks.d.toFixed(3)} (p ${s.ks.p.toPrecision(2)})\n`);
  io.stdout(`η-shrinkage: ${e.shrinkage.eta.map((x) => `${x.effect} ${(100 * x.shrinkage).toFixed(1)} %`).join(', ')}   ε-shrinkage: ${(100 * e.shrinkage.epsilon.shrinkage).toFixed(1)} %\n`);
  const l = e.likelihood;
  io.stdout(`−2LL ${l.total.toFixed(2)}${l.totalSe > 0 ? ` ± ${l.totalSe.toPrecision(2)}` : ''} (${likelihoodMethod(l)}; ${l.source === 'fit' ? 'the fit’s own values' : 'computed'}; per subject in evaluation.json)\n`);
  io.stdout(`wrote ${written.join(', ')} (${e.seconds.toFixed(1)} s)\n`);
  return 0;
}
