/**
 * The executor interface (docs/cluster.md): how a batch of fits — the replicates of `nlmc study`, the resamples of
 * `nlmc bootstrap` — is run. Each fit is one `nlmc` command with its own folder; an executor only starts commands
 * and says how each ended, and the caller reads the results from the folders. So a new scheduler is one more entry
 * in the table of executors (executors.ts): a function that runs the tasks it is given.
 */

/** One fit: `nlmc <args>`, its output (stdout and stderr) written to `log`. */
export interface FitTask {
  /** 1-based position in the batch, the same on every run of the same command (the Slurm array index). */
  readonly index: number;
  /** What the task is in messages: 'replicate 3', 'sample 17'. */
  readonly label: string;
  readonly args: readonly string[];
  readonly log: string;
  /** True when the task's folder already holds its finished result (an earlier run): it is not run again. */
  readonly finished: () => boolean;
}

/** How a task ended: its exit code (-1: it could not be started, or ended without one), and the reason if known. */
export interface TaskEnd {
  readonly task: FitTask;
  readonly code: number;
  readonly reused: boolean;
  readonly seconds: number;
  /** Why the task has no exit code of its own (killed by the scheduler, could not start, …). */
  readonly reason?: string;
}

export interface ExecutorContext {
  /** Where the executor keeps its own files (the sbatch script, task list, scheduler logs): <out>/<executor>/. */
  readonly folder: string;
  /** Tasks at a time: the local pool's size; a throttle on the Slurm array (`%J`) when given. */
  readonly jobs?: number;
  /** Write what would be run (the sbatch script) and say how to start it, but run nothing. */
  readonly dryRun: boolean;
  /** `study`, `bootstrap`: the job's name on the cluster (nlmc-study). */
  readonly name: string;
  /** Extra scheduler options, one per `#SBATCH` line (`--partition=long`, `--time=2:00:00`). */
  readonly schedulerOptions: readonly string[];
  readonly stderr: (s: string) => void;
}

export type ExecutorRun =
  | { readonly kind: 'ran' }
  /** Nothing was run: `command` starts what `files` describe. */
  | { readonly kind: 'dry-run'; readonly command: string; readonly files: readonly string[] }
  | { readonly kind: 'error'; readonly message: string };

export interface Executor {
  /** One line for --help and the docs. */
  readonly describe: string;
  /** Runs every task (none of them finished), calling `onEnd` as each ends. */
  run(tasks: readonly FitTask[], context: ExecutorContext, onEnd: (end: TaskEnd) => void): Promise<ExecutorRun>;
}
