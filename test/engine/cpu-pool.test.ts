/**
 * The CPU engine over worker threads (runtime/engine/cpu/cpu-pool.ts): the same numbers as the in-process engine,
 * bit for bit, on pk and on an oral two-compartment model with lag and repeated doses, for both calls and with a
 * failing row in the batch; the workers end with `dispose()`, and a forgotten dispose does not keep the process alive.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { cpuThreads, createParallelCpuEngine, type ParallelCpuEngine } from '../../runtime/engine/cpu/cpu-pool.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { loadModelAndData, spreadRows } from './pool-fixture.js';

const settings = { rtol: 1e-7, atol: 1e-9, maxSteps: 100_000 };

/** Every entry the same number (NaN included), by Object.is. */
function identical(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): string[] {
  const differing: string[] = [];
  for (const key of Object.keys(a)) {
    const x = a[key]!;
    const y = b[key]!;
    if (x.length !== y.length) differing.push(`${key}: length ${x.length} vs ${y.length}`);
    else for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) {
      differing.push(`${key}[${i}]: ${x[i]} vs ${y[i]}`);
      break;
    }
  }
  return differing;
}

const engines: ParallelCpuEngine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

describe('the CPU engine over worker threads', () => {
  for (const name of ['pk', 'oral2cpt'] as const) {
    it(`gives the in-process engine's numbers on ${name}: predictions, gradients, the fused likelihood, a failed row`, async () => {
      const { model, data } = await loadModelAndData(name);
      const rows = spreadRows(model, data.nSubjects, 61);
      // Row 7 cannot be integrated: its parameters are not numbers.
      rows.p.fill(NaN, 7 * model.dims.np, 8 * model.dims.np);
      const pool = createParallelCpuEngine(model, data, settings, { threads: 2 });
      engines.push(pool);
      expect(pool.threads).toBe(2);
      const single = createCpuEngine(model, data, settings);
      const [a, b] = [await single.simulate(rows), await pool.simulate(rows)];
      expect(b.status[7]).not.toBe(TrajectoryStatus.Ok);
      expect(b.status.filter((s) => s === TrajectoryStatus.Ok).length).toBe(60);
      expect(identical({ ...a }, { ...b })).toEqual([]);
      const e = model.initialErrorParameters;
      expect(identical({ ...(await single.logLikelihood(rows, e)) }, { ...(await pool.logLikelihood(rows, e)) })).toEqual([]);
      // Concurrent calls share the workers and still land in their own rows.
      const half = { subject: rows.subject.slice(0, 30), p: rows.p.slice(0, 30 * model.dims.np) };
      const [c, d] = await Promise.all([pool.simulate(rows), pool.simulate(half)]);
      expect(identical({ ...a }, { ...c })).toEqual([]);
      expect(identical({ predictions: a.predictions.subarray(0, 30 * data.maxObs) }, { predictions: d.predictions })).toEqual([]);
    });
  }

  it('terminates its workers on dispose, and refuses calls afterwards', async () => {
    const { model, data } = await loadModelAndData('pk');
    const pool = createParallelCpuEngine(model, data, settings, { threads: 2 });
    await pool.simulate(spreadRows(model, data.nSubjects, 16));
    pool.dispose();
    const exited = await Promise.race([pool.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
    expect(exited).toBe(true);
    await expect(pool.simulate(spreadRows(model, data.nSubjects, 16))).rejects.toThrow(/disposed/);
  });

  it('rejects a call with the cause when a worker cannot load the model', async () => {
    const { model, data } = await loadModelAndData('pk');
    const pool = createParallelCpuEngine({ ...model, moduleJs: 'export const notAModel = 1;' }, data, settings, { threads: 2 });
    engines.push(pool);
    await expect(pool.simulate(spreadRows(model, data.nSubjects, 16))).rejects.toThrow(/CPU worker failed: .*not a model module emitted by nlmc/s);
  });

  it('lets the process exit when the engine is never disposed', () => {
    const script = fileURLToPath(new URL('./fixtures/pool-without-dispose.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)), encoding: 'utf8', timeout: 40_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('ok 32');
    expect(run.status).toBe(0);
  });

  it('takes its thread count from the option, else NLMC_THREADS, else the machine; 1 runs in this thread', async () => {
    const saved = process.env.NLMC_THREADS;
    try {
      process.env.NLMC_THREADS = '3';
      expect(cpuThreads()).toBe(3);
      expect(cpuThreads(5)).toBe(5);
      process.env.NLMC_THREADS = 'many';
      expect(() => cpuThreads()).toThrow(/NLMC_THREADS must be a positive integer, got 'many'/);
      delete process.env.NLMC_THREADS;
      expect(cpuThreads()).toBeGreaterThanOrEqual(1);
      expect(() => cpuThreads(0)).toThrow(/threads must be a positive integer/);
    } finally {
      if (saved === undefined) delete process.env.NLMC_THREADS;
      else process.env.NLMC_THREADS = saved;
    }
    const { model, data } = await loadModelAndData('pk');
    // In this thread: no worker is started, so the module text is never imported.
    const inProcess = createParallelCpuEngine({ ...model, moduleJs: 'not a model' }, data, settings, { threads: 1 });
    expect(inProcess.threads).toBe(1);
    const rows = spreadRows(model, data.nSubjects, 16);
    expect(identical({ ...(await inProcess.simulate(rows)) }, { ...(await createCpuEngine(model, data, settings).simulate(rows)) })).toEqual([]);
  });
});
