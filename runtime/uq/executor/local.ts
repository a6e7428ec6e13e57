/** The local executor: a pool of `jobs` processes on this machine (the default), each running one fit. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Executor, ExecutorContext, FitTask, TaskEnd } from './fit-task.js';
import { nlmcCommand } from './nlmc-command.js';
import { shellQuote } from './shell-quote.js';

function runOne(task: FitTask): Promise<Omit<TaskEnd, 'task' | 'reused' | 'seconds'>> {
  const [node, ...program] = nlmcCommand();
  return new Promise((resolve) => {
    const child = spawn(node!, [...program, ...task.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (e) => {
      writeFileSync(task.log, `${text}\n${e.message}\n`);
      resolve({ code: -1, reason: `could not start: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      writeFileSync(task.log, text);
      resolve(code === null ? { code: -1, reason: `killed by ${signal}` } : { code });
    });
  });
}

export const localExecutor: Executor = {
  describe: 'processes on this machine, --jobs at a time (default: one per core)',
  async run(tasks: readonly FitTask[], context: ExecutorContext, onEnd: (end: TaskEnd) => void) {
    if (context.dryRun) {
      const command = tasks.map((t) => `${nlmcCommand().map(shellQuote).join(' ')} ${t.args.map(shellQuote).join(' ')} > ${shellQuote(t.log)} 2>&1`).join('\n');
      return { kind: 'dry-run', command, files: [] };
    }
    const jobs = context.jobs ?? availableParallelism();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        const t0 = performance.now();
        const end = await runOne(task);
        onEnd({ task, reused: false, seconds: (performance.now() - t0) / 1000, ...end });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
    return { kind: 'ran' };
  },
};
