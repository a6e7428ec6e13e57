/**
 * A worker thread of the parallel CPU engine (cpu-pool.ts): it imports the model from the JavaScript text it is
 * given, keeps the engine data it is sent once, and answers each task — a chunk of rows — with `CpuRows`, the code
 * the in-process engine runs, so a row's numbers do not depend on where it ran.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { importModelModule } from '../../model/import-model.js';
import type { LikelihoodResult, SimulateResult } from '../engine.js';
import { CpuRows } from './cpu-rows.js';
import type { WorkerInit, WorkerReply, WorkerTask } from './cpu-pool.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const rows = new CpuRows({ dims: init.dims, ts: await importModelModule(init.moduleJs), inputTargets: init.inputTargets, doseTargets: init.doseTargets }, init.data, init.settings);

port.on('message', (task: WorkerTask) => {
  let reply: WorkerReply;
  try {
    const result: SimulateResult | LikelihoodResult = task.kind === 'simulate' ? rows.simulate(task.subject, task.p) : rows.logLikelihood(task.subject, task.p, task.e!);
    reply = { id: task.id, result };
  } catch (e) {
    reply = { id: task.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  const transfer = 'result' in reply ? Object.values(reply.result).map((a: Int32Array | Float64Array) => a.buffer as ArrayBuffer) : [];
  port.postMessage(reply, transfer);
});
