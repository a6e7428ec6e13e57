/**
 * `nlmc bootstrap model.nlm --data d.csv --samples N [--stratify COV] [--seed S] [--no-bca] [--executor local|slurm]`:
 * the nonparametric bootstrap by subject, percentile and BCa intervals (runtime/uq/bootstrap-run.ts does the work).
 */
import { runBootstrap, type BootstrapArgs } from '../../runtime/uq/bootstrap-run.js';

export type { BootstrapArgs };

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

export function runBootstrapCommand(args: BootstrapArgs, io: Io): Promise<number> {
  return runBootstrap(args, io);
}
