/**
 * The f64 CPU back end over worker threads: a batch of rows is cut into chunks that the workers take in turn
 * (one chunk at a time each, so a slow chunk does not hold the others up), and the chunks' results are put back
 * in row order. Each worker holds the model (imported from `PreparedModel.moduleJs`) and the engine data, both sent
 * once when the engine is made; per call only the rows go out and only the results come back. A row runs the same
 * code as in `createCpuEngine`, so the numbers are the in-process engine's, bit for bit.
 *
 * Threads: the `threads` option, else the environment variable NLMC_THREADS, else `os.availableParallelism()`;
 * 1 is the in-process engine. The workers do not keep the process alive while idle (they are unref'd between
 * calls), and `dispose()` terminates them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelDimensions } from '../../../compiler/emit/model-functions.js';
import type { EngineData } from '../engine-data.js';
import type { Engine, LikelihoodResult, Rows, SimulateResult, SolverSettings } from '../engine.js';
import type { PreparedModel } from '../prepared-model.js';
import { createCpuEngine } from './cpu-engine.js';

export interface ParallelCpuOptions {
  /** Worker threads; 1 runs in this thread. Default: NLMC_THREADS, else os.availableParallelism(). */
  readonly threads?: number;
}

export interface ParallelCpuEngine extends Engine {
  readonly threads: number;
  /** Settles when every worker has exited (after `dispose()`, or when one failed). */
  readonly exited: Promise<void>;
}

/** What a worker is started with (cpu-worker.ts). */
export interface WorkerInit {
  readonly moduleJs: string;
  readonly dims: ModelDimensions;
  readonly inputTargets: readonly number[];
  readonly doseTargets: readonly number[];
  readonly data: EngineData;
  readonly settings: SolverSettings;
}

export interface WorkerTask {
  readonly id: number;
  readonly kind: 'simulate' | 'logLikelihood';
  readonly subject: Int32Array;
  readonly p: Float64Array;
  readonly e?: Float64Array;
}

export type WorkerReply = { readonly id: number; readonly result: SimulateResult | LikelihoodResult } | { readonly id: number; readonly error: string };

/** Fewer rows than this per worker run in this thread: a round trip costs more than they do. */
const MIN_ROWS_PER_WORKER = 4;
/** Chunks per worker in a batch: enough to even out rows of different cost, few enough to keep messages rare. */
const CHUNKS_PER_WORKER = 4;

/** The number of threads: `requested`, else NLMC_THREADS, else the available parallelism. */
export function cpuThreads(requested?: number): number {
  const env = process.env.NLMC_THREADS;
  const n = requested ?? (env !== undefined && env !== '' ? Number(env) : availableParallelism());
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(requested !== undefined ? `threads must be a positive integer, got ${requested}` : `NLMC_THREADS must be a positive integer, got '${env}'`);
  }
  return n;
}

export function createParallelCpuEngine(model: PreparedModel, data: EngineData, settings: SolverSettings, options: ParallelCpuOptions = {}): ParallelCpuEngine {
  const threads = cpuThreads(options.threads);
  const local = createCpuEngine(model, data, settings);
  if (threads === 1) return { ...local, threads: 1, exited: Promise.resolve() };
  const init: WorkerInit = { moduleJs: model.moduleJs, dims: model.dims, inputTargets: model.inputTargets, doseTargets: model.doseTargets, data, settings };
  const source = workerSource();
  const workers = Array.from({ length: threads }, () => new PoolWorker(source, init));
  let disposed = false;

  const run = async <R extends SimulateResult | LikelihoodResult>(kind: WorkerTask['kind'], rows: Rows, e: Float64Array | undefined, alloc: (nrows: number) => R): Promise<R> => {
    const nrows = rows.subject.length;
    const np = model.dims.np;
    const chunk = Math.max(MIN_ROWS_PER_WORKER, Math.ceil(nrows / (threads * CHUNKS_PER_WORKER)));
    const out = alloc(nrows);
    let next = 0;
    const take = async (worker: PoolWorker): Promise<void> => {
      while (next < nrows) {
        const start = next;
        const end = Math.min(nrows, start + chunk);
        next = end;
        const result = await worker.call({ kind, subject: rows.subject.slice(start, end), p: rows.p.slice(start * np, end * np), ...(e ? { e } : {}) });
        // Each field holds nrows × (its width) values: put the chunk's at its rows.
        for (const [key, values] of Object.entries(result) as [keyof R, Int32Array | Float64Array][]) {
          const target = out[key] as unknown as Int32Array | Float64Array;
          target.set(values, start * (values.length / (end - start)));
        }
      }
    };
    await Promise.all(workers.map(take));
    return out;
  };

  const ns = model.dims.ns;
  const ne = model.dims.ne;
  return {
    backend: 'cpu',
    // The in-process engine's words (the commands print them); `threads` says how many.
    description: local.description,
    threads,
    exited: Promise.all(workers.map((w) => w.exited)).then(() => undefined),
    async simulate(rows) {
      if (disposed) throw new Error('the CPU engine was disposed');
      if (rows.subject.length < 2 * MIN_ROWS_PER_WORKER) return local.simulate(rows);
      return run('simulate', rows, undefined, (n) => ({ status: new Int32Array(n), predictions: new Float64Array(n * data.maxObs), gradients: new Float64Array(n * data.maxObs * ns) }));
    },
    async logLikelihood(rows, e) {
      if (disposed) throw new Error('the CPU engine was disposed');
      if (rows.subject.length < 2 * MIN_ROWS_PER_WORKER) return local.logLikelihood(rows, e);
      return run('logLikelihood', rows, Float64Array.from(e), (n) => ({ status: new Int32Array(n), logLik: new Float64Array(n), dLogLikDp: new Float64Array(n * ns), dLogLikDe: new Float64Array(n * ne) }));
    },
    dispose() {
      disposed = true;
      for (const w of workers) w.terminate();
    },
  };
}

/**
 * How a worker is started. The compiled package runs cpu-worker.js; from the TypeScript sources (tsx, vitest) the
 * worker registers tsx's loader first, since a worker does not inherit the loader of its parent's module runner.
 */
interface WorkerSource {
  /** The bootstrap, evaluated as the worker's script: registers `loader` when given, then imports `entry`. */
  readonly code: string;
  readonly entry: string;
  readonly loader?: string;
}

function workerSource(): WorkerSource {
  const here = import.meta.url;
  const code = `const { workerData } = require('node:worker_threads');
(workerData.loader ? import(workerData.loader).then((api) => api.register()) : Promise.resolve()).then(() => import(workerData.entry));`;
  if (!here.endsWith('.ts')) return { code, entry: new URL('./cpu-worker.js', here).href };
  const require = createRequire(here);
  const manifest = require.resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  return { code, entry: new URL('./cpu-worker.ts', here).href, loader: new URL(api, pathToFileURL(manifest)).href };
}

/** One worker: tasks by id, referenced (keeping the process alive) only while a task is out. */
class PoolWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: SimulateResult | LikelihoodResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  readonly exited: Promise<void>;

  constructor({ code, entry, loader }: WorkerSource, init: WorkerInit) {
    this.worker = new Worker(code, { eval: true, workerData: { ...init, entry, loader } });
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const task = this.pending.get(reply.id);
      if (!task) return;
      this.settle(reply.id);
      if ('error' in reply) task.reject(new Error(`CPU worker: ${reply.error}`));
      else task.resolve(reply.result);
    });
    this.worker.on('error', (e) => this.fail(new Error(`CPU worker failed: ${e.stack ?? e.message}`)));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      this.fail(new Error('the CPU worker exited'));
      resolve();
    }));
  }

  call(task: Omit<WorkerTask, 'id'>): Promise<SimulateResult | LikelihoodResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...task, id }, [task.subject.buffer as ArrayBuffer, task.p.buffer as ArrayBuffer]);
    });
  }

  terminate(): void {
    this.fail(new Error('the CPU engine was disposed'));
    void this.worker.terminate();
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const [id, task] of this.pending) {
      this.settle(id);
      task.reject(this.failure);
    }
  }
}
