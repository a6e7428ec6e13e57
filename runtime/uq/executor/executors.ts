/**
 * The table of executors (`--executor NAME`) and the runner every batch of fits goes through: tasks whose result
 * is already in their folder are reused (an interrupted study or bootstrap resumes), the rest go to the executor.
 * Another scheduler (SGE, PBS, LSF) is one more row: an Executor (fit-task.ts) that runs the tasks it is given.
 */
import type { Executor, ExecutorContext, ExecutorRun, FitTask, TaskEnd } from './fit-task.js';
import { localExecutor } from './local.js';
import { slurmExecutor } from './slurm.js';

export const EXECUTORS = { local: localExecutor, slurm: slurmExecutor } as const satisfies Record<string, Executor>;
export type ExecutorName = keyof typeof EXECUTORS;
export const EXECUTOR_NAMES = Object.keys(EXECUTORS) as ExecutorName[];

/**
 * Runs the batch: `onEnd` hears of every task, reused ones first. Returns how the executor's run went (a dry run
 * runs nothing, so only the reused tasks are reported).
 */
export async function runFits(tasks: readonly FitTask[], executor: ExecutorName, context: ExecutorContext, onEnd: (end: TaskEnd) => void): Promise<ExecutorRun> {
  const left: FitTask[] = [];
  for (const task of tasks) {
    if (task.finished()) onEnd({ task, code: 0, reused: true, seconds: 0 });
    else left.push(task);
  }
  if (left.length === 0) return { kind: 'ran' };
  return EXECUTORS[executor].run(left, context, onEnd);
}
