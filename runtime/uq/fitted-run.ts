/**
 * A finished fit read back from its run folder: the model from fit.json, the dataset it was fitted to, the
 * encoder, the population vector and each subject's q(η | Y_i) — what the uncertainty step and its benchmark need
 * without refitting.
 */
import { readFileSync } from 'node:fs';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import { hasDataErrors, readDataset, requirementsFromIr } from '../data/index.js';
import { Encoder } from '../infer/encoder.js';
import { fitContextFor, type FitContext } from '../infer/fit-context.js';
import { fitFilePath, parseFitFile, reportedPopulation, type FitFile } from '../infer/fit-file.js';
import { posteriors, type SubjectPosterior } from '../infer/posterior.js';
import { loadParameters } from '../nn/index.js';

export interface FittedRun {
  readonly fit: FitFile;
  readonly ctx: FitContext;
  readonly population: Float64Array;
  readonly subjects: readonly SubjectPosterior[];
}

/** `path`: a run folder or its fit.json; `data`: the dataset (default: the file named in fit.json). */
export async function loadFittedRun(path: string, data?: string, map: Record<string, string> = {}): Promise<FittedRun> {
  const file = fitFilePath(path);
  const fit = parseFitFile(readFileSync(file, 'utf8'), file);
  const compiled = compile(fit.model.source, { emit: RUNTIME_EMIT });
  if (!compiled.ir) throw new Error(`${file}: the stored model no longer compiles`);
  const dataFile = data ?? fit.data.file;
  const read = readDataset(readFileSync(dataFile, 'utf8'), dataFile, requirementsFromIr(compiled.ir), { map });
  if (!read.dataset || hasDataErrors(read.issues)) throw new Error(`${dataFile}: the dataset does not match the model`);
  const { ctx } = await fitContextFor(compiled, read.dataset, fit.scaling, 'auto');
  const encoder = new Encoder(fit.encoderConfig, ctx.layout.omega0);
  loadParameters(encoder, fit.encoder);
  const population = reportedPopulation(fit);
  const post = await posteriors(ctx, encoder, population);
  return { fit, ctx, population, subjects: post.subjects };
}
