/**
 * The f64 CPU back end of the Engine, in this thread: each row is solved by `CpuRows` (one reused
 * `TrajectorySolver`) with the emitted TS functions. It is the oracle the WebGPU back end is tested against, and
 * the fallback where no adapter exists; `createParallelCpuEngine` (cpu-pool.ts) runs the same rows over worker
 * threads.
 */
import type { EngineData } from '../engine-data.js';
import type { Engine, SolverSettings } from '../engine.js';
import { CpuRows, type CpuRowModel } from './cpu-rows.js';

export function createCpuEngine(model: CpuRowModel, data: EngineData, settings: SolverSettings): Engine {
  const rows = new CpuRows(model, data, settings);
  return {
    backend: 'cpu',
    description: 'CPU (f64, TypeScript)',
    async simulate({ subject, p }) {
      return rows.simulate(subject, p);
    },
    async logLikelihood({ subject, p }, e) {
      return rows.logLikelihood(subject, p, e);
    },
    dispose() {},
  };
}
