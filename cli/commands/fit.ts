/** `nlmc fit model.nlm --data data.csv [...]`: reads the files, runs the fit (runtime/fit/run-fit.ts), then the report if asked. */
import { defaultRunFolder, fitRun, type FitIo, type FitRequest } from '../../runtime/fit/run-fit.js';
import { readInput } from '../../runtime/data/read-input.js';
import { runReport } from './report.js';

export interface FitArgs extends FitRequest {
  /** After a complete fit, `nlmc report` on the run folder (report.html and its figures). */
  readonly report?: boolean;
}

/** Exit code: 0 complete, 1 bad input (nothing written), 2 unreadable file, 3 stopped early (outputs marked incomplete). */
export async function runFit(args: FitArgs, io: FitIo, stopRequested: () => boolean): Promise<number> {
  const model = readInput(args.model, io.stderr);
  if (model === undefined) return 2;
  const code = await fitRun(args, { model, data: () => readInput(args.data, io.stderr) }, io, stopRequested);
  if (code !== 0 || !args.report) return code;
  return runReport({ fits: [args.out ?? defaultRunFolder(args.model)], seed: args.seed, bins: 10, subjects: 24, map: args.map, data: args.data }, io);
}
