/**
 * The Slurm executor: one job array per run, submitted with `sbatch`, each array task one fit; results are read
 * from the study's folder, which the cluster's nodes must see (a shared file system), as PsN's `-run_on_slurm` does.
 *
 * Files in <out>/slurm/ (ExecutorContext.folder):
 *   tasks.txt          line i: the shell command of task i (every task of the batch, so indices stay the same)
 *   submit-<n>.sbatch  the array script of the n-th submission: `#SBATCH --array=<the missing tasks>`
 *   jobs.json          the job ids submitted, with their task indices
 *   <job>_<task>.out   Slurm's own output of each array task (the fit's output goes to the task's log)
 * and beside each task's log, <log>.exit: the fit's exit code, written by the array task when the fit ends.
 *
 * A re-run of the same command submits only the tasks that have no finished result and are not still queued or
 * running under a job submitted before (squeue); it waits for those too. `--dry-run` writes tasks.txt and the
 * script and prints the sbatch command, submitting nothing.
 *
 * The scheduler is driven through its own commands (sbatch, squeue) via child_process: no daemon, no client library.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../data/write-atomic.js';
import type { Executor, ExecutorContext, ExecutorRun, FitTask, TaskEnd } from './fit-task.js';
import { nlmcCommand } from './nlmc-command.js';
import { shellQuote } from './shell-quote.js';

interface SubmittedJob {
  readonly job: string;
  readonly tasks: readonly number[];
}

/** Seconds between looks at the queue (NLMC_SLURM_POLL_SECONDS overrides it). */
const pollSeconds = (): number => Number(process.env['NLMC_SLURM_POLL_SECONDS'] ?? 2);
/** Consecutive failed looks at the queue before the wait gives up. */
const MAX_QUEUE_FAILURES = 10;

function command(program: string, args: readonly string[]): Promise<{ ok: true; stdout: string } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    execFile(program, [...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) resolve({ ok: true, stdout });
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve({ ok: false, message: `${program} is not on PATH: --executor slurm needs Slurm's client commands (sbatch, squeue) on this machine` });
      else resolve({ ok: false, message: `${program} ${args.join(' ')} failed: ${(stderr || error.message).trim()}` });
    });
  });
}

const exitFile = (task: FitTask): string => `${task.log}.exit`;

/** The task's line in tasks.txt: run the fit with its output in the log, then write its exit code beside it. */
function taskLine(task: FitTask): string {
  const exit = exitFile(task);
  const fit = [...nlmcCommand(), ...task.args].map(shellQuote).join(' ');
  return `cd ${shellQuote(process.cwd())} && NO_COLOR=1 ${fit} > ${shellQuote(task.log)} 2>&1; echo $? > ${shellQuote(`${exit}.tmp`)} && mv ${shellQuote(`${exit}.tmp`)} ${shellQuote(exit)}`;
}

/** Task indices as Slurm's array list: 1-3,5,7-9. */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The array script; absolute paths, so it can be submitted from anywhere. */
export function sbatchScript(context: ExecutorContext, indices: readonly number[]): string {
  const throttle = context.jobs !== undefined ? `%${context.jobs}` : '';
  const folder = resolve(context.folder);
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=nlmc-${context.name}`,
    `#SBATCH --array=${arraySpec(indices)}${throttle}`,
    '#SBATCH --ntasks=1',
    '#SBATCH --cpus-per-task=1',
    `#SBATCH --chdir=${process.cwd()}`,
    `#SBATCH --output=${join(folder, '%A_%a.out')}`,
    ...context.schedulerOptions.map((o) => `#SBATCH ${o}`),
    '# Written by nlmc: array task i runs line i of tasks.txt, one fit.',
    'set -u',
    `eval "$(sed -n "\${SLURM_ARRAY_TASK_ID}p" ${shellQuote(join(folder, 'tasks.txt'))})"`,
    '',
  ].join('\n');
}

function readJobs(file: string): SubmittedJob[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SubmittedJob[];
  } catch {
    return [];
  }
}

/** `job_task` keys of this user's array tasks still in the queue (pending or running). */
async function liveTasks(): Promise<{ ok: true; live: Set<string> } | { ok: false; message: string }> {
  const q = await command('squeue', ['--noheader', '--array', '--me', '--format=%F_%K']);
  if (!q.ok) return q;
  return { ok: true, live: new Set(q.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '')) };
}

function readExit(task: FitTask): number | undefined {
  try {
    const text = readFileSync(exitFile(task), 'utf8').trim();
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

export const slurmExecutor: Executor = {
  describe: 'one Slurm job array (sbatch), each task one fit; the output folder must be on a file system the nodes share',
  async run(tasks: readonly FitTask[], context: ExecutorContext, onEnd: (end: TaskEnd) => void): Promise<ExecutorRun> {
    mkdirSync(context.folder, { recursive: true });
    const jobsFile = join(context.folder, 'jobs.json');
    const jobs = readJobs(jobsFile);
    // Tasks still queued or running under an earlier submission are waited for, not submitted again.
    const waiting = new Map<number, string>();
    if (!context.dryRun && jobs.length > 0) {
      const queue = await liveTasks();
      if (!queue.ok) return { kind: 'error', message: queue.message };
      for (const j of jobs) for (const t of j.tasks) if (queue.live.has(`${j.job}_${t}`)) waiting.set(t, j.job);
    }
    const toSubmit = tasks.filter((t) => !waiting.has(t.index));
    const byIndex = new Map(tasks.map((t) => [t.index, t]));
    // tasks.txt holds every task given (an unfinished task keeps its line; finished ones are never asked for).
    const linesFile = join(context.folder, 'tasks.txt');
    const previous = existsSync(linesFile) ? readFileSync(linesFile, 'utf8').split('\n') : [];
    const lines = Array.from({ length: Math.max(previous.length - 1, ...tasks.map((t) => t.index)) }, (_, i) => (byIndex.has(i + 1) ? taskLine(byIndex.get(i + 1)!) : previous[i] ?? 'exit 0'));
    writeFileAtomic(linesFile, `${lines.join('\n')}\n`);
    const script = join(context.folder, `submit-${jobs.length + 1}.sbatch`);
    if (toSubmit.length > 0) writeFileAtomic(script, sbatchScript(context, toSubmit.map((t) => t.index)));
    if (context.dryRun) return { kind: 'dry-run', command: `sbatch ${shellQuote(script)}`, files: [linesFile, script] };

    const started = performance.now();
    const pending = new Map<number, string>(waiting);
    if (toSubmit.length > 0) {
      for (const t of toSubmit) rmSync(exitFile(t), { force: true });
      const submitted = await command('sbatch', ['--parsable', script]);
      if (!submitted.ok) return { kind: 'error', message: submitted.message };
      const job = submitted.stdout.trim().split(';')[0]!;
      writeFileAtomic(jobsFile, `${JSON.stringify([...jobs, { job, tasks: toSubmit.map((t) => t.index) }], null, 2)}\n`);
      for (const t of toSubmit) pending.set(t.index, job);
      context.stderr(`  slurm: submitted job ${job}, array ${arraySpec(toSubmit.map((t) => t.index))} (${script})\n`);
    }
    if (waiting.size > 0) context.stderr(`  slurm: waiting for ${waiting.size} task(s) still queued or running from before: ${[...new Set(waiting.values())].map((j) => `job ${j}`).join(', ')} array ${arraySpec([...waiting.keys()])}\n`);

    let queueFailures = 0;
    while (pending.size > 0) {
      // The queue first, then the exit files: a task that has left the queue has written its exit file if it ever will.
      const queue = await liveTasks();
      if (!queue.ok) {
        // A busy controller times out now and then; only a queue that stays unreadable ends the wait.
        if (++queueFailures >= MAX_QUEUE_FAILURES) return { kind: 'error', message: `${queue.message} (${MAX_QUEUE_FAILURES} times in a row; the jobs in ${jobsFile} go on: run the same command again to collect them)` };
        await new Promise((r) => setTimeout(r, pollSeconds() * 1000));
        continue;
      }
      queueFailures = 0;
      for (const [index, job] of [...pending]) {
        const task = byIndex.get(index)!;
        const code = readExit(task);
        const seconds = (performance.now() - started) / 1000;
        if (code !== undefined) onEnd({ task, code, reused: false, seconds });
        else if (!queue.live.has(`${job}_${index}`)) onEnd({ task, code: -1, reused: false, seconds, reason: `the Slurm task ended without an exit code (cancelled, or killed for time or memory?); see ${join(context.folder, `${job}_${index}.out`)}` });
        else continue;
        pending.delete(index);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, pollSeconds() * 1000));
    }
    return { kind: 'ran' };
  },
};
