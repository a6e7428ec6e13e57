/**
 * `nlmc simulate model.nlm (--design FILE | --data FILE) [--seed N] [--params FILE] [--out FILE]`: the subjects from a
 * design or a template dataset, the model's values (or --params overrides), simulated and written with their truth.
 */
import { basename } from 'node:path';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { formatIssue, hasDataErrors, readDataset, requirementsFromIr } from '../data/index.js';
import type { MethodChoice } from '../engine/choose-method.js';
import { prepareModel } from '../engine/prepared-model.js';
import { parseDesign } from './design.js';
import { Random } from '../nn/random.js';
import { applyOverrides, modelValues, simulateSubjects, type SimulationSubject } from './simulate.js';
import { subjectsFromDataset, subjectsFromDesign } from './subjects.js';
import { simulatedCsv, truthCsv } from './write-csv.js';
import { writeFileAtomic } from '../data/write-atomic.js';
import { readInput } from '../data/read-input.js';

export interface SimulateArgs {
  readonly model: string;
  readonly design?: string;
  readonly data?: string;
  readonly seed: number;
  readonly params?: string;
  readonly out?: string;
  readonly map: Record<string, string>;
  readonly color: boolean;
  /** Integration method (default auto: the stiffness test decides and says why). */
  readonly method?: MethodChoice;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

const read = (path: string, io: Io): string | undefined => readInput(path, io.stderr);

/** Exit code: 0 written, 1 a problem with the inputs (reported), 2 a file that cannot be read. */
export async function runSimulate(args: SimulateArgs, io: Io): Promise<number> {
  if ((args.design === undefined) === (args.data === undefined)) {
    io.stderr('nlmc simulate: give the design as --design FILE.json or a template dataset as --data FILE.csv (one of the two)\n');
    return 1;
  }
  const source = read(args.model, io);
  if (source === undefined) return 2;
  const result = compile(source, { emit: RUNTIME_EMIT });
  const report = renderDiagnostics(result.diagnostics, args.model, source, { color: args.color });
  if (report) io.stderr(report);
  if (hasErrors(result.diagnostics) || !result.ir) return 1;
  const ir = result.ir;
  const random = new Random(args.seed);

  let subjects: SimulationSubject[] | undefined;
  if (args.design !== undefined) {
    const text = read(args.design, io);
    if (text === undefined) return 2;
    const parsed = parseDesign(text, args.design);
    const built = parsed.design ? subjectsFromDesign(ir, parsed.design, random) : { errors: parsed.errors };
    if (!built.subjects) {
      for (const e of built.errors) io.stderr(`${args.design}: ${e.startsWith(args.design) ? e.slice(args.design.length + 2) : e}\n`);
      return 1;
    }
    subjects = built.subjects;
  } else {
    const text = read(args.data!, io);
    if (text === undefined) return 2;
    const read_ = readDataset(text, args.data!, requirementsFromIr(ir), { map: args.map });
    for (const issue of read_.issues) io.stderr(`${formatIssue(issue, args.data!)}\n`);
    if (!read_.dataset || hasDataErrors(read_.issues)) return 1;
    const built = subjectsFromDataset(read_.dataset);
    if (!built.subjects) {
      for (const e of built.errors) io.stderr(`${args.data}: ${e}\n`);
      return 1;
    }
    subjects = built.subjects;
  }

  let values = modelValues(ir);
  if (args.params !== undefined) {
    const text = read(args.params, io);
    if (text === undefined) return 2;
    let overrides: unknown;
    try {
      overrides = JSON.parse(text);
    } catch (e) {
      io.stderr(`${args.params}: not valid JSON (${(e as Error).message})\n`);
      return 1;
    }
    const applied = applyOverrides(ir, values, (overrides ?? {}) as Record<string, unknown>);
    if (!applied.values) {
      for (const e of applied.errors) io.stderr(`${args.params}: ${e}\n`);
      return 1;
    }
    values = applied.values;
  }

  const model = await prepareModel(result);
  let simulated;
  try {
    simulated = await simulateSubjects(ir, model, subjects, values, random, { method: args.method ?? 'auto', onMethod: (reason) => io.stderr(`${reason}\n`) });
  } catch (e) {
    io.stderr(`nlmc simulate: ${(e as Error).message}\n`);
    return 1;
  }
  const out = args.out ?? `${basename(args.model).replace(/\.nlm$/, '')}.sim.csv`;
  const truth = out.replace(/(\.csv)?$/, '.truth.csv');
  writeFileAtomic(out, simulatedCsv(ir, simulated));
  writeFileAtomic(truth, truthCsv(ir, simulated));
  const nobs = simulated.reduce((n, s) => n + s.dv.length, 0);
  const ndoses = simulated.reduce((n, s) => n + s.subject.doses.length, 0);
  io.stdout(`simulated ${simulated.length} subjects, ${nobs} observations, ${ndoses} doses (seed ${args.seed})\nwrote ${out}\nwrote ${truth} (true individual values)\n`);
  return 0;
}
