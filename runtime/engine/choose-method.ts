/**
 * `--method auto`: which integration method a model needs, decided by a measured stiffness test rather than
 * assumed. The subjects are integrated at the population's initial values (η = 0) with the explicit method under a
 * small step budget; an explicit method on a stiff problem is held to tiny steps by stability, not accuracy, so it
 * runs out of that budget (or its step collapses) where the Rosenbrock method does not. If any subject does, and the
 * Rosenbrock method solves every subject the explicit one could not, the model is stiff.
 */
import { createCpuEngine } from './cpu/cpu-engine.js';
import type { EngineData } from './engine-data.js';
import type { Rows, SolverMethod } from './engine.js';
import type { PreparedModel } from './prepared-model.js';
import { TrajectoryStatus } from './trajectory-status.js';

export type MethodChoice = SolverMethod | 'auto';

/** Steps an explicit method may take per subject in the test; non-stiff models of this kind need a few hundred. */
export const STIFFNESS_STEP_BUDGET = 20_000;

export interface MethodDecision {
  readonly method: SolverMethod;
  /** One line for the user. */
  readonly reason: string;
}

export async function chooseMethod(model: PreparedModel, data: EngineData, rows: Rows, choice: MethodChoice): Promise<MethodDecision> {
  if (choice !== 'auto') return { method: choice, reason: `method: ${choice === 'explicit' ? 'explicit (Dormand–Prince 5(4))' : 'Rosenbrock-W (ROS34PW2)'}, as asked` };
  const settings = { rtol: 1e-6, atol: 1e-8, maxSteps: STIFFNESS_STEP_BUDGET };
  const explicit = await createCpuEngine(model, data, { ...settings, method: 'explicit' }).simulate(rows);
  const stuck = Array.from(explicit.status.keys()).filter((k) => explicit.status[k] === TrajectoryStatus.MaxSteps || explicit.status[k] === TrajectoryStatus.StepTooSmall);
  if (stuck.length === 0) return { method: 'explicit', reason: `method: explicit (Dormand–Prince 5(4)); auto: every subject integrates within ${STIFFNESS_STEP_BUDGET} explicit steps (--method to change)` };
  const stiffRows: Rows = { subject: Int32Array.from(stuck, (k) => rows.subject[k]!), p: Float64Array.from(stuck.flatMap((k) => Array.from(rows.p.subarray(k * model.dims.np, (k + 1) * model.dims.np)))) };
  const rosenbrock = await createCpuEngine(model, data, { ...settings, method: 'rosenbrock' }).simulate(stiffRows);
  const solved = rosenbrock.status.every((s) => s === TrajectoryStatus.Ok);
  const who = `subject${stuck.length > 1 ? 's' : ''} ${stuck.slice(0, 5).map((k) => rows.subject[k]! + 1).join(', ')}${stuck.length > 5 ? ', …' : ''}`;
  return solved
    ? { method: 'rosenbrock', reason: `method: Rosenbrock-W (ROS34PW2); auto: the model is stiff — the explicit method needed more than ${STIFFNESS_STEP_BUDGET} steps for ${who}, the Rosenbrock method did not (--method to change)` }
    : { method: 'explicit', reason: `method: explicit (Dormand–Prince 5(4)); auto: ${who} failed with both methods at the initial values, so stiffness does not explain it (--method to change)` };
}
