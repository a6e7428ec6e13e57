/**
 * `nlmc predict model.fit --data new.csv`: the fitted encoder on new subjects — posteriors and predictions, no refit
 * (an ML fit's EBEs are the conditional modes, searched from the encoder's μ; docs/fit.md).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import { formatIssue, hasDataErrors, readDataset, requirementsFromIr } from '../data/index.js';
import { Encoder } from '../infer/encoder.js';
import { fitContextFor } from '../infer/fit-context.js';
import { fitFilePath, parseFitFile, reportedPopulation } from '../infer/fit-file.js';
import { posthocPosteriors } from '../uq/finish-fit.js';
import { posteriors } from '../infer/posterior.js';
import { loadParameters } from '../nn/index.js';
import { individualCsv, predictionsCsv } from '../report/fit-outputs.js';
import { writeFileAtomic } from '../data/write-atomic.js';

export interface PredictArgs {
  readonly fit: string;
  readonly data: string;
  readonly out?: string;
  readonly map: Record<string, string>;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

export async function runPredict(args: PredictArgs, io: Io): Promise<number> {
  const path = fitFilePath(args.fit);
  let fit;
  try {
    fit = parseFitFile(readFileSync(path, 'utf8'), path);
  } catch (e) {
    io.stderr(`nlmc predict: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `cannot read ${path}: no such file` : (e as Error).message}\n`);
    return 2;
  }
  if (!fit.complete) io.stderr(`nlmc predict: warning: ${path} is from a fit that did not complete (${fit.message})\n`);
  const compiled = compile(fit.model.source, { emit: RUNTIME_EMIT });
  if (!compiled.ir) {
    io.stderr(`nlmc predict: the model stored in ${path} no longer compiles with this nlmc\n`);
    return 1;
  }
  let dataText: string;
  try {
    dataText = readFileSync(args.data, 'utf8');
  } catch {
    io.stderr(`nlmc: cannot read ${args.data}: no such file\n`);
    return 2;
  }
  const read = readDataset(dataText, args.data, requirementsFromIr(compiled.ir), { map: args.map });
  for (const issue of read.issues) io.stderr(`${formatIssue(issue, args.data)}\n`);
  if (!read.dataset || hasDataErrors(read.issues)) return 1;
  let ctx;
  try {
    ctx = (await fitContextFor(compiled, read.dataset, fit.scaling, 'auto')).ctx;
  } catch (e) {
    io.stderr(`nlmc predict: ${(e as Error).message}\n`);
    return 1;
  }
  if (ctx.inputs.stepFeatures !== fit.encoderConfig.stepFeatures || ctx.inputs.staticFeatures !== fit.encoderConfig.staticFeatures) {
    io.stderr('nlmc predict: the new data do not have the shape the encoder was trained on (outputs or covariates differ)\n');
    return 1;
  }
  const encoder = new Encoder(fit.encoderConfig, ctx.layout.omega0);
  loadParameters(encoder, fit.encoder);
  const population = reportedPopulation(fit);
  // A maximum-likelihood fit reports conditional modes as EBEs; the encoder's q is where their search starts.
  const encoded = await posteriors(ctx, encoder, population);
  const post = fit.maximumLikelihood ? await posthocPosteriors(ctx, population, encoded.subjects) : encoded;
  const outDir = args.out ?? join(path.replace(/fit\.json$/, ''), 'predict');
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'individual.csv'), individualCsv(ctx.ir, read.dataset, post.subjects));
  writeFileAtomic(join(outDir, 'predictions.csv'), predictionsCsv(ctx.ir, read.dataset, post.predictions));
  io.stdout(`${read.summaryLine}\nwrote ${join(outDir, 'individual.csv')}, ${join(outDir, 'predictions.csv')}\n`);
  return 0;
}
