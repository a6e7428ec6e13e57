/**
 * The convergence assessment after a complete fit (`--starts N`): N trainings from random initial values, clustered
 * per parameter against the fit's standard errors, written to starts.csv beside the run.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { PopulationLayout } from '../infer/population.js';
import type { EpochReport, TrainResult } from '../infer/train.js';
import { Random } from '../nn/random.js';
import { clusterStarts, naturalValues, randomStart, START_RANGE, type StartRun } from '../uq/starts.js';

/** The mean training ELBO of the last 10 epochs: what the starts are compared by. */
export function meanRecentElbo(trace: readonly EpochReport[]): number {
  const last = trace.slice(-10);
  return last.reduce((s, r) => s + r.elbo, 0) / Math.max(1, last.length);
}

/** The fit's own run as start 0. */
export function firstStart(seed: number, initial: Float64Array, population: Float64Array, result: TrainResult, seconds: number): StartRun {
  return { start: 0, seed, initial, population, elbo: meanRecentElbo(result.state.trace), epochs: result.state.epoch, stop: result.stop, seconds };
}

export interface StartsAssessment {
  readonly runs: StartRun[];
  /** One line: every parameter in one cluster, or the separated ones with their cluster centres. */
  readonly summary: string;
}

/** The refits (seed + 1000·s) and their clusters; `say` gets a line per start. */
export async function assessStarts(
  first: StartRun, count: number, trainFrom: (seed: number, from: Float64Array) => Promise<TrainResult>,
  ir: ModelIR, layout: PopulationLayout, standardErrors: Float64Array | undefined,
  say: (line: string) => void, stopRequested: () => boolean,
): Promise<StartsAssessment> {
  say(`convergence assessment: ${count} refits from random initial values (${START_RANGE})`);
  const runs = await refitFromRandomStarts(first, count, trainFrom, ir, layout, say, stopRequested);
  const separated = clusterStarts(ir, layout, runs, standardErrors).filter((c) => c.separated);
  const summary = `convergence over ${runs.length} runs: ${separated.length === 0 ? 'every parameter in one cluster' : `separate clusters for ${separated.map((c) => `${c.name} (${c.clusters.map((k) => `${k.center.toPrecision(4)} ×${k.size}`).join(', ')})`).join('; ')}`}`;
  return { runs, summary };
}

async function refitFromRandomStarts(
  first: StartRun, count: number, trainFrom: (seed: number, from: Float64Array) => Promise<TrainResult>,
  ir: ModelIR, layout: PopulationLayout, say: (line: string) => void, stopRequested: () => boolean,
): Promise<StartRun[]> {
  const runs = [first];
  const names = layout.entries.map((e) => e.name);
  for (let s = 1; s <= count && !stopRequested(); s++) {
    const seed = first.seed + 1000 * s;
    const from = randomStart(ir, layout, new Random(seed));
    const t0 = performance.now();
    const r = await trainFrom(seed, from);
    const run: StartRun = { start: s, seed, initial: from, population: Float64Array.from(r.state.population), elbo: meanRecentElbo(r.state.trace), epochs: r.state.epoch, stop: r.stop, seconds: (performance.now() - t0) / 1000 };
    runs.push(run);
    const shown = naturalValues(ir, layout, run.population).slice(0, 6).map((v, k) => `${names[k]}=${v.toPrecision(4)}`).join(' ');
    say(`  start ${s}/${count}: ELBO ${run.elbo.toFixed(4)}  ${shown}  (${run.epochs} epochs, ${run.seconds.toFixed(1)} s, ${r.stop})`);
  }
  return runs;
}
